package devtemporal

import (
	"context"
	"log/slog"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// minLevelHandler drops records below min before they reach the wrapped
// handler, so the server's chatty info logs stay out of the app's output.
type minLevelHandler struct {
	min slog.Leveler
	h   slog.Handler
}

func (m minLevelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min.Level() && m.h.Enabled(ctx, l)
}

func (m minLevelHandler) Handle(ctx context.Context, r slog.Record) error {
	return m.h.Handle(ctx, r)
}

func (m minLevelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevelHandler{min: m.min, h: m.h.WithAttrs(attrs)}
}

func (m minLevelHandler) WithGroup(name string) slog.Handler {
	return minLevelHandler{min: m.min, h: m.h.WithGroup(name)}
}

// serverLogger adapts *slog.Logger to Temporal's log.Logger.
type serverLogger struct {
	l *slog.Logger
}

var (
	_ log.Logger      = serverLogger{}
	_ log.WithLogger  = serverLogger{}
	_ log.SLogWrapper = serverLogger{}
	_ slog.Handler    = minLevelHandler{}
)

func tagAttrs(tags []tag.Tag) []slog.Attr {
	attrs := make([]slog.Attr, 0, len(tags))
	for _, t := range tags {
		if t == nil {
			continue
		}
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	return attrs
}

func (s serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if !s.l.Enabled(ctx, level) {
		return
	}
	s.l.LogAttrs(ctx, level, msg, tagAttrs(tags)...)
}

func (s serverLogger) Debug(msg string, tags ...tag.Tag) { s.log(slog.LevelDebug, msg, tags) }
func (s serverLogger) Info(msg string, tags ...tag.Tag)  { s.log(slog.LevelInfo, msg, tags) }
func (s serverLogger) Warn(msg string, tags ...tag.Tag)  { s.log(slog.LevelWarn, msg, tags) }
func (s serverLogger) Error(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }

// DPanic only panics in development builds of the server; here it just logs.
func (s serverLogger) DPanic(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }

func (s serverLogger) Panic(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic(fatalError{msg: msg})
}

// Fatal panics instead of calling os.Exit: an embedded dev server must not
// terminate the host process (or a test binary) without a stack trace.
func (s serverLogger) Fatal(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic(fatalError{msg: msg})
}

func (s serverLogger) With(tags ...tag.Tag) log.Logger {
	attrs := tagAttrs(tags)
	args := make([]any, len(attrs))
	for i, a := range attrs {
		args[i] = a
	}
	return serverLogger{l: s.l.With(args...)}
}

// SLog lets the server's slog bridge reuse our logger directly.
func (s serverLogger) SLog() *slog.Logger { return s.l }

type fatalError struct{ msg string }

func (f fatalError) Error() string { return "temporal server fatal: " + f.msg }
