// Package tagjs is the first-party tag served at GET /t.js: one hand-written
// script (t.js, no third-party code), embedded in the binary, with its version
// (a hash of its text, for the URL and the ETag) and its gzipped form.
package tagjs

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
)

//go:embed t.js
var script []byte

// MaxGzipped bounds the script's gzipped size (issue 25); a test holds it.
const MaxGzipped = 5 << 10

var (
	// Version changes whenever the script does: GET /t.js?v=<Version> may be
	// cached for a year, and it is the ETag.
	Version = func() string { sum := sha256.Sum256(script); return hex.EncodeToString(sum[:6]) }()
	gzipped = func() []byte {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(script)
		zw.Close()
		return b.Bytes()
	}()
)

// Script is the script's text.
func Script() []byte { return script }

// Gzipped is the script gzipped (what a browser accepting gzip is sent).
func Gzipped() []byte { return gzipped }
