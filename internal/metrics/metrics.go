// Package metrics defines Convrelay's Prometheus metrics on their own registry,
// served on /metrics.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the product's own counters, histograms and gauges.
type Metrics struct {
	Registry         *prometheus.Registry
	Postbacks        *prometheus.CounterVec   // outcome, integration
	IntakeSeconds    *prometheus.HistogramVec // outcome
	Deliveries       *prometheus.CounterVec   // destination_type, outcome
	DeliveryAttempts *prometheus.CounterVec   // destination_type
	DispatchSeconds  prometheus.Histogram
	Clicks           prometheus.Counter
	Unknown          *prometheus.CounterVec // what: account, integration (never a name from the URL)
	Refused          *prometheus.CounterVec // reason, kept: stored, counted (never an account id)
}

// RefusalReasons label convrelay_postbacks_refused_total (intake.RefusalReason).
var RefusalReasons = []string{"malformed", "forbidden", "unknown_account", "unknown_integration", "too_large",
	"unprocessable", "too_many", "conflict", "unavailable"}

// DestinationTypes label the delivery metrics.
var DestinationTypes = []string{"meta", "tiktok", "google_ads", "ga4", "postback", "webhook"}

// New registers every metric on a fresh registry, with Go and process collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		Postbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "convrelay_postbacks_total", Help: "Postbacks received, by outcome at intake and integration.",
		}, []string{"outcome", "integration"}),
		IntakeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "convrelay_intake_duration_seconds", Help: "Time to answer a postback (parse, validate, log).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"outcome"}),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "convrelay_deliveries_total", Help: "Deliveries finished, by destination type and outcome (delivered, failed).",
		}, []string{"destination_type", "outcome"}),
		DeliveryAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "convrelay_delivery_attempts_total", Help: "Delivery attempts made, by destination type.",
		}, []string{"destination_type"}),
		DispatchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "convrelay_dispatch_delay_seconds", Help: "Time from accepting a postback to handing it to Temporal.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 12),
		}),
		Clicks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "convrelay_clicks_total", Help: "Clicks recorded.",
		}),
		Unknown: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "convrelay_postbacks_unknown_total", Help: "Postbacks refused 404 for an unknown account or integration (counted, not stored in full).",
		}, []string{"what"}),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "convrelay_postbacks_refused_total",
			Help: "Postbacks refused at intake, by reason and by whether a short row was stored or the request only counted.",
		}, []string{"reason", "kept"}),
	}
	for _, reason := range RefusalReasons {
		m.Refused.WithLabelValues(reason, "stored")
		m.Refused.WithLabelValues(reason, "counted")
	}
	// Known label values start at zero, so dashboards and alerts see a series
	// before the first event (an absent series reads as "no data", not 0).
	for _, what := range []string{"account", "integration"} {
		m.Unknown.WithLabelValues(what)
	}
	for _, t := range DestinationTypes {
		m.DeliveryAttempts.WithLabelValues(t)
		for _, outcome := range []string{"delivered", "failed"} {
			m.Deliveries.WithLabelValues(t, outcome)
		}
	}
	r.MustRegister(m.Unknown, m.Refused, m.Postbacks, m.IntakeSeconds, m.Deliveries, m.DeliveryAttempts, m.DispatchSeconds, m.Clicks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
