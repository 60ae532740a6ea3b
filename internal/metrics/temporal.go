package metrics

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	sdkmetrics "go.temporal.io/sdk/client"
)

// TemporalHandler exports the Temporal SDK's own client and worker metrics
// (workflow and activity counts and latencies, poll and request figures) on the
// same registry, so /metrics shows them beside Convrelay's.
func (m *Metrics) TemporalHandler() sdkmetrics.MetricsHandler {
	return &sdkHandler{reg: &sdkRegistry{r: m.Registry, vecs: map[string]*sdkVec{}}}
}

// sdkRegistry creates one Prometheus vector per SDK metric name, with the label
// set the name is first used with (the SDK uses a stable tag set per name).
type sdkRegistry struct {
	r    *prometheus.Registry
	mu   sync.Mutex
	vecs map[string]*sdkVec
}

type sdkVec struct {
	labels    []string
	counter   *prometheus.CounterVec
	gauge     *prometheus.GaugeVec
	histogram *prometheus.HistogramVec
}

func (r *sdkRegistry) vec(kind, name string, tags map[string]string) (*sdkVec, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.vecs[kind+name]
	if !ok {
		v = &sdkVec{}
		for k := range tags {
			v.labels = append(v.labels, sanitize(k))
		}
		sort.Strings(v.labels)
		pname := sanitize(name)
		switch kind {
		case "counter":
			v.counter = prometheus.NewCounterVec(prometheus.CounterOpts{Name: pname, Help: "Temporal SDK counter " + name}, v.labels)
			_ = r.r.Register(v.counter)
		case "gauge":
			v.gauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: pname, Help: "Temporal SDK gauge " + name}, v.labels)
			_ = r.r.Register(v.gauge)
		default:
			v.histogram = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: pname + "_seconds", Help: "Temporal SDK timer " + name,
				Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}, v.labels)
			_ = r.r.Register(v.histogram)
		}
		r.vecs[kind+name] = v
	}
	values := make([]string, len(v.labels))
	for i, l := range v.labels {
		for k, val := range tags {
			if sanitize(k) == l {
				values[i] = val
			}
		}
	}
	return v, values
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

type sdkHandler struct {
	reg  *sdkRegistry
	tags map[string]string
}

func (h *sdkHandler) WithTags(tags map[string]string) sdkmetrics.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return &sdkHandler{reg: h.reg, tags: merged}
}

func (h *sdkHandler) Counter(name string) sdkmetrics.MetricsCounter {
	v, values := h.reg.vec("counter", name, h.tags)
	c := v.counter.WithLabelValues(values...)
	return counterFunc(func(d int64) { c.Add(float64(d)) })
}

func (h *sdkHandler) Gauge(name string) sdkmetrics.MetricsGauge {
	v, values := h.reg.vec("gauge", name, h.tags)
	g := v.gauge.WithLabelValues(values...)
	return gaugeFunc(g.Set)
}

func (h *sdkHandler) Timer(name string) sdkmetrics.MetricsTimer {
	v, values := h.reg.vec("timer", name, h.tags)
	o := v.histogram.WithLabelValues(values...)
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }
