package devstack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/secrets"
	"github.com/convrelay/convrelay/internal/store"
)

// secretKeyFile holds the dev stack's generated CONVRELAY_SECRET_KEY, so the
// secrets sealed in .data/pg open again after a restart.
const secretKeyFile = "secret.key"

// secureDefaults gives the dev stack what production must be told: a secret key
// (generated once under the data dir) and an outbound allow-list of exactly
// 127.0.0.1/32, so a receiver on this machine works in the demo and nothing else
// internal does. Both are said at start.
func secureDefaults(cfg config.Config, logger *slog.Logger) (config.Config, error) {
	if cfg.SecretKey == "" {
		path := filepath.Join(cfg.DataDir, secretKeyFile)
		raw, err := os.ReadFile(path)
		switch {
		case err == nil:
			cfg.SecretKey = strings.TrimSpace(string(raw))
		case errors.Is(err, fs.ErrNotExist):
			if cfg.SecretKey, err = secrets.GenerateKey(); err != nil {
				return cfg, err
			}
			if err := os.WriteFile(path, []byte(cfg.SecretKey+"\n"), 0o600); err != nil {
				return cfg, fmt.Errorf("write %s: %w", path, err)
			}
			logger.Info("generated a secret key for the dev stack", "file", path)
		default:
			return cfg, fmt.Errorf("read %s: %w", path, err)
		}
	}
	if len(cfg.DestinationAllow) == 0 {
		cfg.DestinationAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	}
	allowed := make([]string, 0, len(cfg.DestinationAllow))
	for _, p := range cfg.DestinationAllow {
		allowed = append(allowed, p.String())
	}
	logger.Info("deliveries may reach these internal addresses (CONVRELAY_DESTINATION_ALLOW); every other loopback, private or link-local address is refused",
		"allowed", strings.Join(allowed, ","))
	return cfg, nil
}

// demoTokens reads the live tokens the sample URLs carry.
func demoTokens(ctx context.Context, st *store.Store, accountID string) (demo, pb string, err error) {
	newest := func(slug string) (string, error) {
		in, err := st.GetIntegration(ctx, accountID, slug)
		if err != nil {
			return "", fmt.Errorf("demo integration %q: %w", slug, err)
		}
		if len(in.Tokens) == 0 {
			return "", nil
		}
		return in.Tokens[len(in.Tokens)-1].Secret, nil
	}
	if demo, err = newest(demoIntegration); err != nil {
		return "", "", err
	}
	pb, err = newest("pb")
	return demo, pb, err
}
