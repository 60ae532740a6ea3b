package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/convrelay/convrelay/internal/pgtest"
	"github.com/convrelay/convrelay/internal/secrets"
	"github.com/convrelay/convrelay/internal/store"
)

// Rows written in clear (before encryption, or tokens made by migration 003) are
// sealed at start, and a key rotation reseals everything under the new key.
func TestSealSecretsSealsPlaintextAndRotates(t *testing.T) {
	st := pgtest.NewStore(t)
	ctx := context.Background()
	acct, _, err := st.CreateAccount(ctx, store.Account{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	const legacyToken, legacySecret = "legacy-token-123456", "EAAB-legacy-access-token"
	if _, err := st.Pool.Exec(ctx, `UPDATE integration_tokens SET secret = $1`, legacyToken); err != nil {
		t.Fatal(err)
	}
	var destID int64
	if err := st.Pool.QueryRow(ctx, `INSERT INTO destinations (account_id, type, name, config) VALUES ($1, 'meta', 'm', $2) RETURNING id`,
		acct.ID, map[string]string{"pixel_id": "1", "access_token": legacySecret}).Scan(&destID); err != nil {
		t.Fatal(err)
	}
	n, err := st.SealSecrets(ctx)
	if err != nil || n != 2 {
		t.Fatalf("sealed %d, %v; want 2", n, err)
	}
	raw := func() string {
		var tok, cfg string
		if err := st.Pool.QueryRow(ctx, `SELECT (SELECT secret FROM integration_tokens LIMIT 1), (SELECT config::text FROM destinations WHERE id = $1)`, destID).Scan(&tok, &cfg); err != nil {
			t.Fatal(err)
		}
		return tok + " " + cfg
	}
	if r := raw(); strings.Contains(r, legacyToken) || strings.Contains(r, legacySecret) {
		t.Fatalf("raw columns still in clear: %s", r)
	}
	check := func(s *store.Store) {
		t.Helper()
		in, err := s.GetIntegration(ctx, acct.ID, "pb")
		if err != nil || len(in.Tokens) != 1 || in.Tokens[0].Secret != legacyToken {
			t.Fatalf("token after sealing: %+v %v", in.Tokens, err)
		}
		d, err := s.GetDestination(ctx, acct.ID, destID)
		if err != nil || d.Config["access_token"] != legacySecret {
			t.Fatalf("destination secret after sealing: %v %v", d.Config, err)
		}
	}
	check(st)
	if n, _ := st.SealSecrets(ctx); n != 0 {
		t.Fatalf("a second start resealed %d values", n)
	}

	// Rotation: the new key with the old one as CONVRELAY_SECRET_KEY_OLD.
	newKey, _ := secrets.GenerateKey()
	rotated, err := secrets.New(newKey, pgtest.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	st.Secrets = rotated
	if n, err := st.SealSecrets(ctx); err != nil || n != 2 {
		t.Fatalf("resealed %d, %v; want 2", n, err)
	}
	st.Secrets, _ = secrets.New(newKey) // the old key can go now
	check(st)
	if r := raw(); !strings.Contains(r, ":"+st.Secrets.KeyID()+":") {
		t.Fatalf("values not under the new key %s: %s", st.Secrets.KeyID(), r)
	}
}
