package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
)

// costImportMaxBytes bounds a CSV of costs (CostImportMaxRows rows of a few dozen bytes).
const costImportMaxBytes = 8 << 20

// costBody is POST /costs's body: each field a JSON string or number.
type costBody struct {
	CampaignID json.RawMessage `json:"campaign_id"`
	Date       json.RawMessage `json:"date"`
	Hour       json.RawMessage `json:"hour"`
	Cost       json.RawMessage `json:"cost"`
	Currency   json.RawMessage `json:"currency"`
}

// createCost is POST /v1/accounts/{account}/costs: a campaign's cost for a day
// (or one hour of it) in a currency, converted into the account's and spread
// over the campaign's clicks of the period (admin.SetCost).
func (s *server) createCost(c *gin.Context) {
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10))
	if err != nil {
		fail(c, http.StatusRequestEntityTooLarge, "the body is too large")
		return
	}
	var body costBody
	if err := decodeStrict(raw, &body); err != nil {
		fail(c, http.StatusBadRequest, `send a JSON object like {"campaign_id": 12, "date": "2026-01-31", "hour": 14, "cost": "25.40", "currency": "EUR"}`)
		return
	}
	req := admin.CostRequest{}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{{"campaign_id", body.CampaignID, &req.Campaign}, {"date", body.Date, &req.Date}, {"hour", body.Hour, &req.Hour},
		{"cost", body.Cost, &req.Cost}, {"currency", body.Currency, &req.Currency}} {
		v, ok := jsonScalar(f.raw)
		if !ok {
			s.answer(c, admin.Invalid(f.name, f.name+" must be a string or a number"))
			return
		}
		*f.dst = v
	}
	cost, err := s.admin.SetCost(c.Request.Context(), c.Param("account"), req)
	s.answerResult(c, http.StatusOK, cost, err)
}

// jsonScalar is a JSON string's text or a number's literal; absent or null is "".
func jsonScalar(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	if raw[0] == '"' {
		var s string
		return s, json.Unmarshal(raw, &s) == nil
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return "", false
	}
	return n.String(), true
}

// importCosts is POST /v1/accounts/{account}/costs/import: a CSV of costs
// (campaign_id, date, cost; optionally hour and currency), as text/csv or as
// the "file" part of multipart/form-data, answered with every row's result
// (admin.ImportCosts).
func (s *server) importCosts(c *gin.Context) {
	body := http.MaxBytesReader(c.Writer, c.Request.Body, costImportMaxBytes)
	file, _, ok := csvUpload(c, body, nil)
	if !ok {
		return
	}
	// A body over the limit reads as a broken row or an unreadable upload: the
	// rows before it are imported and the answer says where it stopped.
	out, err := s.admin.ImportCosts(c.Request.Context(), c.Param("account"), file)
	s.answerResult(c, http.StatusOK, out, err)
}
