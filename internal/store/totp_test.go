package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/secrets"
	"github.com/convrelay/convrelay/internal/store"
)

// A TOTP secret is sealed at rest, opened for its user, refused while a factor
// is on, accepted once per step, resealed by a key rotation, and a challenge
// counts its tries.
func TestTOTPSecretSealedAndRotated(t *testing.T) {
	st := pgtest.NewStore(t)
	ctx := context.Background()
	acct, _, err := st.CreateAccount(ctx, store.Account{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := st.InviteUser(ctx, store.User{AccountID: acct.ID, Email: "ann@example.com", Role: "admin"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "JBSWY3DPEHPK3PXP"
	if err := st.SetPendingTOTP(ctx, u.ID, secret); err != nil {
		t.Fatal(err)
	}
	raw := func() string {
		var v string
		if err := st.Pool.QueryRow(ctx, `SELECT totp_secret FROM users WHERE id = $1`, u.ID).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if r := raw(); !secrets.IsSealed(r) || strings.Contains(r, secret) {
		t.Fatalf("secret at rest %q", r)
	}
	if got, err := st.UserTOTP(ctx, u.ID); err != nil || got.Secret != secret || got.Enabled {
		t.Fatalf("pending: %+v %v", got, err)
	}
	if err := st.AcceptTOTPStep(ctx, u.ID, 100, true); err != nil {
		t.Fatal(err)
	}
	if err := st.AcceptTOTPStep(ctx, u.ID, 100, false); !errors.Is(err, store.ErrConflict) {
		t.Errorf("the same step twice: %v, want conflict", err)
	}
	if err := st.SetPendingTOTP(ctx, u.ID, "OTHERSECRET"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a new secret while on: %v, want conflict", err)
	}

	newKey, _ := secrets.GenerateKey()
	st.Secrets, _ = secrets.New(newKey, pgtest.SecretKey)
	if n, err := st.SealSecrets(ctx); err != nil || n < 1 {
		t.Fatalf("resealed %d, %v", n, err)
	}
	st.Secrets, _ = secrets.New(newKey)
	if got, err := st.UserTOTP(ctx, u.ID); err != nil || got.Secret != secret || !got.Enabled || got.LastStep != 100 {
		t.Fatalf("after rotation: %+v %v", got, err)
	}

	token, err := st.CreateMFAChallenge(ctx, u.ID, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if got, err := st.MFAChallengeUser(ctx, token, 2); err != nil || got.ID != u.ID {
			t.Fatalf("try %d: %v %v", i+1, got, err)
		}
	}
	if _, err := st.MFAChallengeUser(ctx, token, 2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a third try of two: %v, want not found", err)
	}
	if err := st.DisableTOTP(ctx, acct.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := st.UserTOTP(ctx, u.ID); err != nil || got.Secret != "" || got.Enabled {
		t.Fatalf("after disabling: %+v %v", got, err)
	}
}
