package metrics

import (
	"fmt"
	"log/slog"

	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// TemporalHandler exports the Temporal SDK's own client and worker metrics
// through the SDK's OpenTelemetry contrib handler and OpenTelemetry's Prometheus
// exporter, on the same registry as Convrelay's metrics. The names are the ones
// Temporal's published Go SDK dashboards query (counters end in _total, latencies
// are _seconds histograms).
func (m *Metrics) TemporalHandler() (client.MetricsHandler, error) {
	exporter, err := otelprom.New(otelprom.WithRegisterer(m.Registry), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("temporal metrics exporter: %w", err)
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	return temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter: provider.Meter("temporal-sdk-go"),
		// Monotonic counters are exported as Prometheus counters (_total), as the
		// dashboards expect; an instrument error is logged, never a panic.
		UseMonotonicCounters: true,
		OnError:              func(err error) { slog.Warn("temporal sdk metric", "error", err) },
	}), nil
}
