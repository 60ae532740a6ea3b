package postback

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// member is one key of a JSON object, in the order it appeared.
type member struct {
	key string
	raw json.RawMessage
}

// decodeObject walks a JSON object token by token so that key order and
// duplicate keys survive (a map would lose both). Values stay raw: numbers
// keep their exact text and nested values are classified by the caller.
func decodeObject(data []byte) ([]member, *jsonFault) {
	out, fault := walkObject(data)
	if fault != nil {
		fault = locate(data, fault)
	}
	return out, fault
}

func walkObject(data []byte) ([]member, *jsonFault) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, faultFrom(err, dec)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, &jsonFault{offset: 0, reason: "expected a JSON object"}
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, faultFrom(err, dec)
		}
		key, _ := tok.(string) // the decoder only yields strings as keys
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, faultFrom(err, dec)
		}
		out = append(out, member{key: key, raw: raw})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, faultFrom(err, dec)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &jsonFault{offset: dec.InputOffset(), reason: "unexpected data after the JSON object"}
	}
	return out, nil
}

// decodeArray returns the raw elements of a JSON array.
func decodeArray(data []byte) ([]json.RawMessage, *jsonFault) {
	out, fault := walkArray(data)
	if fault != nil {
		fault = locate(data, fault)
	}
	return out, fault
}

func walkArray(data []byte) ([]json.RawMessage, *jsonFault) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, faultFrom(err, dec)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, &jsonFault{offset: 0, reason: "expected a JSON array"}
	}
	var out []json.RawMessage
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, faultFrom(err, dec)
		}
		out = append(out, raw)
	}
	if _, err := dec.Token(); err != nil {
		return nil, faultFrom(err, dec)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &jsonFault{offset: dec.InputOffset(), reason: "unexpected data after the JSON array"}
	}
	return out, nil
}

// jsonFault locates a JSON error within the decoded bytes.
type jsonFault struct {
	offset int64
	reason string
}

// locate replaces a streaming decoder's error position, which is not always
// the offending byte, with the one json.Unmarshal's full scan reports: the
// 0-based offset of the bad byte, or the length of the input when it ends
// too early. Faults on valid JSON (wrong top-level type) are kept.
func locate(data []byte, fault *jsonFault) *jsonFault {
	var se *json.SyntaxError
	if err := json.Unmarshal(data, new(json.RawMessage)); errors.As(err, &se) {
		off := se.Offset
		if se.Error() != "unexpected end of JSON input" && off > 0 {
			off--
		}
		return &jsonFault{offset: off, reason: se.Error()}
	}
	return fault
}

func faultFrom(err error, dec *json.Decoder) *jsonFault {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return &jsonFault{offset: se.Offset, reason: se.Error()}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &jsonFault{offset: dec.InputOffset(), reason: "unexpected end of JSON input"}
	default:
		return &jsonFault{offset: dec.InputOffset(), reason: err.Error()}
	}
}

// jsonScalar classifies a raw JSON value: scalars become their text (numbers
// exactly as written, null as ""), objects and arrays stay compact JSON text.
func jsonScalar(raw json.RawMessage) (text string, composite bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return sanitize(s), false
	case '{', '[':
		var b bytes.Buffer
		if json.Compact(&b, raw) != nil {
			return sanitize(string(raw)), true
		}
		return sanitize(b.String()), true
	case 'n':
		return "", false
	default: // numbers, true, false
		return sanitize(string(raw)), false
	}
}
