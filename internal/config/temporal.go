package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/convrelay/convrelay/internal/tracing"
)

// TemporalOptions builds the SDK client options: address, namespace, the shared
// logger, and TLS or an API key for a hosted Temporal.
func (c Config) TemporalOptions(address string, logger *slog.Logger) (client.Options, error) {
	opts := client.Options{
		HostPort:  address,
		Namespace: c.TemporalNamespace,
		Logger:    tlog.NewStructuredLogger(logger),
	}
	if c.OTLPEndpoint != "" {
		i, err := tracing.TemporalInterceptor()
		if err != nil {
			return opts, err
		}
		opts.Interceptors = append(opts.Interceptors, i)
	}
	if c.TemporalAPIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(c.TemporalAPIKey)
	}
	if c.TemporalTLS || c.TemporalTLSCert != "" || c.TemporalAPIKey != "" || c.TemporalTLSCA != "" {
		tc := &tls.Config{ServerName: c.TemporalTLSServer, MinVersion: tls.VersionTLS12}
		if c.TemporalTLSCert != "" {
			cert, err := tls.LoadX509KeyPair(c.TemporalTLSCert, c.TemporalTLSKey)
			if err != nil {
				return opts, fmt.Errorf("load TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		if c.TemporalTLSCA != "" {
			pem, err := os.ReadFile(c.TemporalTLSCA)
			if err != nil {
				return opts, fmt.Errorf("read TEMPORAL_TLS_CA: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return opts, fmt.Errorf("TEMPORAL_TLS_CA %s holds no PEM certificate", c.TemporalTLSCA)
			}
			tc.RootCAs = pool
		}
		opts.ConnectionOptions.TLS = tc
	}
	return opts, nil
}
