package api

import (
	"github.com/convrelay/convrelay/internal/intake"

	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// pageParams reads limit (1-500, default 50) and cursor (an id: rows below it).
func pageParams(c *gin.Context) (limit int, cursor int64, ok bool) {
	limit = 50
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			fail(c, http.StatusBadRequest, "limit must be a whole number from 1 to 500")
			return 0, 0, false
		}
		limit = n
	}
	if v := c.Query("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			fail(c, http.StatusBadRequest, "cursor must be an id from a previous page's next_cursor")
			return 0, 0, false
		}
		cursor = n
	}
	return limit, cursor, true
}

func idParam(c *gin.Context, name string) (int64, bool) {
	n, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || n <= 0 {
		fail(c, http.StatusBadRequest, name+" must be a positive whole number")
		return 0, false
	}
	return n, true
}

// bindJSON decodes a JSON request body, answering 400 with where it broke.
func bindJSON(c *gin.Context, v any) bool {
	if err := c.ShouldBindJSON(v); err != nil {
		if tooLarge(err) {
			fail(c, http.StatusRequestEntityTooLarge, "request body too large")
			return false
		}
		fail(c, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func nextCursor(n, limit int, lastID int64) any {
	if n < limit || n == 0 {
		return nil
	}
	return strconv.FormatInt(lastID, 10)
}

// decodeStrict decodes JSON, refusing unknown fields so typos are reported.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
func quote(s string) string { return intake.Quote(s) }
