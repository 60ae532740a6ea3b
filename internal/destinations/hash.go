package destinations

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// sha256Hex is the digest every platform asks for: SHA-256, lowercase hex.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// looksHashed reports whether s already is a SHA-256 hex digest, so a trait
// the network sent pre-hashed is not hashed a second time (which would make it
// unmatchable).
func looksHashed(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// hashTrait normalises raw with norm and hashes the result. A value that is
// already a digest passes through (lower-cased); a value that normalises to
// nothing gives "" so the field is left out rather than sending the hash of
// an empty string, which would match nobody.
func hashTrait(raw string, norm func(string) string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	if looksHashed(raw) {
		return strings.ToLower(raw)
	}
	n := norm(raw)
	if n == "" {
		return ""
	}
	return sha256Hex(n)
}
