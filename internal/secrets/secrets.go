// Package secrets encrypts the secrets Convrelay keeps at rest (destination
// credentials, integration tokens, webhook signing secrets) with AES-256-GCM.
//
// A sealed value is "v1:<key id>:<base64url(nonce|ciphertext)>". The key id is
// derived from the key itself (first 8 hex characters of its SHA-256), so the
// operator configures only keys: CONVRELAY_SECRET_KEY seals, and
// CONVRELAY_SECRET_KEY_OLD (comma-separated) still opens values sealed before a
// rotation until the store has resealed them under the current key.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

const prefix = "v1:"

// ErrUnknownKey means a value was sealed with a key this keyring does not hold.
var ErrUnknownKey = errors.New("sealed with an unknown key (set CONVRELAY_SECRET_KEY_OLD to the previous key)")

// Keyring seals with its current key and opens with any of its keys.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// New builds a keyring from a base64 current key and optional older keys.
func New(current string, old ...string) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	id, err := k.add(current)
	if err != nil {
		return nil, fmt.Errorf("CONVRELAY_SECRET_KEY: %w", err)
	}
	k.current = id
	for _, o := range old {
		if strings.TrimSpace(o) == "" {
			continue
		}
		if _, err := k.add(o); err != nil {
			return nil, fmt.Errorf("CONVRELAY_SECRET_KEY_OLD: %w", err)
		}
	}
	return k, nil
}

func (k *Keyring) add(b64 string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return "", errors.New("not base64")
	}
	if len(raw) != KeySize {
		return "", fmt.Errorf("want %d bytes after base64 decoding, got %d", KeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return "", fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return "", fmt.Errorf("gcm: %w", err)
	}
	sum := sha256.Sum256(raw)
	id := hex.EncodeToString(sum[:4])
	k.aeads[id] = aead
	return id, nil
}

// GenerateKey returns a new random key in the base64 form New reads.
func GenerateKey() (string, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// KeyID names the current key.
func (k *Keyring) KeyID() string { return k.current }

// Seal encrypts plain. purpose (the column, and for a destination's config the
// key) is bound to the ciphertext as associated data, so a value copied into
// another column or another config key does not open. It is not bound to the
// row: a value copied into the same key of another destination opens there
// (copying needs write access to the database, which can change the
// destination's endpoint anyway; README, Security).
func (k *Keyring) Seal(plain, purpose string) (string, error) {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	out := aead.Seal(nonce, nonce, []byte(plain), []byte(purpose))
	return prefix + k.current + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value Seal produced with the same purpose.
func (k *Keyring) Open(sealed, purpose string) (string, error) {
	id, body, ok := split(sealed)
	if !ok {
		return "", errors.New("open: not a sealed value")
	}
	aead, found := k.aeads[id]
	if !found {
		return "", fmt.Errorf("open: key %s: %w", id, ErrUnknownKey)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", errors.New("open: malformed sealed value")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(purpose))
	if err != nil {
		return "", fmt.Errorf("open: key %s: authentication failed", id)
	}
	return string(plain), nil
}

// IsSealed tells a sealed value from a plaintext one (rows written before
// encryption, or by a migration, are sealed at the next start).
func IsSealed(v string) bool {
	_, _, ok := split(v)
	return ok
}

// Current tells whether v is sealed under the current key (nothing to reseal).
func (k *Keyring) Current(v string) bool {
	id, _, ok := split(v)
	return ok && id == k.current
}

func split(v string) (id, body string, ok bool) {
	rest, found := strings.CutPrefix(v, prefix)
	if !found {
		return "", "", false
	}
	id, body, ok = strings.Cut(rest, ":")
	return id, body, ok && len(id) == 8 && body != ""
}
