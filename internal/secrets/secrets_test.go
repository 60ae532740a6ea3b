package secrets

import (
	"errors"
	"strings"
	"testing"
)

func mustKey(t *testing.T) string {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRoundTripAndCiphertext(t *testing.T) {
	k, err := New(mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal("EAAB-secret-token", "destination")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "EAAB") || !IsSealed(sealed) || !strings.Contains(sealed, ":"+k.KeyID()+":") {
		t.Fatalf("sealed value %q leaks plaintext or lacks the key id", sealed)
	}
	again, _ := k.Seal("EAAB-secret-token", "destination")
	if again == sealed {
		t.Fatal("two seals of one value are equal: nonce reused")
	}
	plain, err := k.Open(sealed, "destination")
	if err != nil || plain != "EAAB-secret-token" {
		t.Fatalf("open = %q, %v", plain, err)
	}
	if _, err := k.Open(sealed, "integration_token"); err == nil {
		t.Fatal("a value opened under another purpose")
	}
	if _, err := k.Open(sealed[:len(sealed)-2]+"AA", "destination"); err == nil {
		t.Fatal("a tampered value opened")
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := mustKey(t), mustKey(t)
	old, _ := New(oldKey)
	sealed, _ := old.Seal("s3cret", "p")

	withoutOld, _ := New(newKey)
	if _, err := withoutOld.Open(sealed, "p"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("open without the old key: %v, want ErrUnknownKey", err)
	}
	rotated, err := New(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Current(sealed) {
		t.Fatal("a value under the old key reads as current")
	}
	if plain, err := rotated.Open(sealed, "p"); err != nil || plain != "s3cret" {
		t.Fatalf("open with the old key: %q, %v", plain, err)
	}
	resealed, _ := rotated.Seal("s3cret", "p")
	if !rotated.Current(resealed) {
		t.Fatal("a fresh seal is not under the current key")
	}
}

func TestBadKeys(t *testing.T) {
	for _, k := range []string{"", "not base64!", "c2hvcnQ="} {
		if _, err := New(k); err == nil {
			t.Errorf("New(%q) accepted", k)
		}
	}
	if _, err := New(mustKey(t), "c2hvcnQ="); err == nil || !strings.Contains(err.Error(), "CONVRELAY_SECRET_KEY_OLD") {
		t.Errorf("bad old key: %v", err)
	}
}
