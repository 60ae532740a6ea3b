package postback

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"strings"
)

// maxPartBytes bounds one multipart field; the HTTP layer bounds the body.
const maxPartBytes = 1 << 20

// parseBody reads the body's parameters in order. See the package comment for
// how the format is chosen.
func parseBody(body []byte, contentType string) ([]rawParam, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n\ufeff")
	lead := int64(len(body) - len(trimmed))
	trimmed = bytes.TrimRight(trimmed, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, nil
	}
	mediaType, mparams, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = strings.ToLower(strings.TrimSpace(contentType))
	}
	switch {
	case trimmed[0] == '{' || trimmed[0] == '[':
		return parseJSONBody(trimmed, lead)
	case mediaType == "multipart/form-data":
		return parseMultipart(body, mparams["boundary"])
	case isJSONMedia(mediaType) && !looksLikeQuery(trimmed):
		// Let the decoder describe what is wrong and where.
		return parseJSONBody(trimmed, lead)
	case mediaType == "application/x-www-form-urlencoded" || looksLikeQuery(trimmed):
		return parseQuery(string(trimmed), fromBody), nil
	default:
		return nil, nil // plain text that is not a query: nothing to read
	}
}

func isJSONMedia(mt string) bool {
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

// looksLikeQuery accepts "a=1&b=2"-shaped text on a single line.
func looksLikeQuery(b []byte) bool {
	if bytes.ContainsAny(b, "\r\n") {
		return false
	}
	first, _, _ := bytes.Cut(b, []byte("&"))
	name, _, ok := bytes.Cut(first, []byte("="))
	return ok && len(name) > 0 && !bytes.ContainsAny(name, " \t<>{}")
}

func parseJSONBody(data []byte, lead int64) ([]rawParam, error) {
	members, fault := decodeObject(data)
	if fault != nil {
		if fault.reason == "expected a JSON object" {
			fault.reason = "the body must be a JSON object"
		}
		return nil, &MalformedBodyError{Format: "JSON", Offset: lead + fault.offset, Reason: fault.reason}
	}
	out := make([]rawParam, 0, len(members))
	for _, m := range members {
		text, composite := jsonScalar(m.raw)
		out = append(out, rawParam{name: sanitize(m.key), value: text, src: fromBody, composite: composite})
	}
	return out, nil
}

func parseMultipart(body []byte, boundary string) ([]rawParam, error) {
	if boundary == "" {
		return nil, &MalformedBodyError{Format: "multipart", Offset: -1, Reason: "no boundary in Content-Type"}
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var out []rawParam
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, &MalformedBodyError{Format: "multipart", Offset: -1, Reason: err.Error()}
		}
		name := part.FormName()
		if name == "" || part.FileName() != "" {
			continue // uploads carry no postback parameters
		}
		data, err := io.ReadAll(io.LimitReader(part, maxPartBytes))
		if err != nil {
			return nil, &MalformedBodyError{Format: "multipart", Offset: -1, Reason: err.Error()}
		}
		out = append(out, rawParam{name: sanitize(name), value: sanitize(string(data)), src: fromBody})
	}
}
