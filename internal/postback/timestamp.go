package postback

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// timeLayouts are tried in order. Layouts without a zone are read as UTC;
// Go also accepts fractional seconds after the seconds field of any of them.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02 15:04:05",
	"2006/01/02",
	time.RFC1123Z,
	time.RFC1123,
	"January 2, 2006 15:04:05",
	"January 2, 2006",
	"Jan 2, 2006",
	"January 2 2006",
	"Jan 2 2006",
	"2 January 2006",
	"2 Jan 2006",
	"02-Jan-2006",
}

var (
	minTime = time.Date(1970, 1, 1, 0, 0, 1, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC) // JSON's limit
)

// isBlankTime: what networks print for "no date"; treated as not sent.
func isBlankTime(v string) bool {
	return v == "0" || strings.HasPrefix(v, "0000-00-00")
}

// parseTimestamp reads unix seconds (milliseconds when the number is too big
// to be seconds before year 5138), or one of timeLayouts. Result is UTC.
func parseTimestamp(v string) (time.Time, error) {
	if t, ok, err := parseUnix(v); ok {
		return t, err
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return inRange(t.UTC())
		}
	}
	return time.Time{}, errors.New("unrecognised date format")
}

func parseUnix(v string) (time.Time, bool, error) {
	whole, frac, hasFrac := strings.Cut(v, ".")
	if !allDigits(whole) || hasFrac && (!allDigits(frac) || len(frac) > 9) {
		return time.Time{}, false, nil
	}
	if len(whole) > 15 {
		return time.Time{}, true, errors.New("number too large for a timestamp")
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return time.Time{}, true, err
	}
	nanos := int64(0)
	if hasFrac {
		f, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		nanos = f
	}
	var t time.Time
	switch {
	case n < 1e11: // seconds up to year 5138
		t = time.Unix(n, nanos)
	case n < 1e14: // too big for plausible seconds: milliseconds
		t = time.UnixMilli(n).Add(time.Duration(nanos / 1e3))
	default:
		return time.Time{}, true, errors.New("number too large for a timestamp")
	}
	t, err = inRange(t.UTC())
	return t, true, err
}

func inRange(t time.Time) (time.Time, error) {
	if t.Before(minTime) || t.After(maxTime) {
		return time.Time{}, errors.New("date out of range")
	}
	return t, nil
}
