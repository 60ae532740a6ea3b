package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"

	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// settingsView is an account's settings as the admin API shows them.
type settingsView struct {
	Currency           string `json:"currency"`
	Timezone           string `json:"timezone"`
	DefaultPhoneRegion string `json:"default_phone_region"`
	EEAWithoutConsent  string `json:"eea_without_consent"` // send, denied or skip
}

func viewSettings(a store.Account) settingsView {
	return settingsView{Currency: a.Currency, Timezone: a.Timezone, DefaultPhoneRegion: a.DefaultPhoneRegion,
		EEAWithoutConsent: a.EEAWithoutConsent}
}

// getSettings is GET /v1/accounts/{account}/settings.
func (s *server) getSettings(c *gin.Context) {
	a, err := s.Store.GetAccount(c.Request.Context(), c.Param("account"))
	if err != nil {
		s.failErr(c, "account", err)
		return
	}
	c.JSON(http.StatusOK, viewSettings(a))
}

// putSettings is PUT /v1/accounts/{account}/settings. Fields left out keep their
// value. Changing the currency re-converts the account's conversions with the
// stored rates (those without a known rate wait for the next rates fetch).
func (s *server) putSettings(c *gin.Context) {
	var req struct {
		Currency           *string `json:"currency"`
		Timezone           *string `json:"timezone"`
		DefaultPhoneRegion *string `json:"default_phone_region"`
		EEAWithoutConsent  *string `json:"eea_without_consent"`
	}
	if !bindJSON(c, &req) {
		return
	}
	ctx := c.Request.Context()
	a, err := s.Store.GetAccount(ctx, c.Param("account"))
	if err != nil {
		s.failErr(c, "account", err)
		return
	}
	set := store.AccountSettings{Currency: a.Currency, Timezone: a.Timezone, DefaultPhoneRegion: a.DefaultPhoneRegion,
		EEAWithoutConsent: a.EEAWithoutConsent}
	if req.Currency != nil {
		set.Currency = strings.ToUpper(strings.TrimSpace(*req.Currency))
		if !postback.IsCurrency(set.Currency) {
			fail(c, http.StatusUnprocessableEntity, "currency must be an ISO 4217 code such as USD or EUR")
			return
		}
	}
	if req.Timezone != nil {
		tz, ok := validTimezone(*req.Timezone)
		if !ok {
			fail(c, http.StatusUnprocessableEntity, "timezone must be an IANA time zone such as Europe/Paris or UTC")
			return
		}
		set.Timezone = tz
	}
	if req.DefaultPhoneRegion != nil {
		r, ok := validRegion(*req.DefaultPhoneRegion)
		if !ok {
			fail(c, http.StatusUnprocessableEntity, "default_phone_region must be an ISO 3166 alpha-2 country code such as US or FR, or empty")
			return
		}
		set.DefaultPhoneRegion = r
	}
	if req.EEAWithoutConsent != nil {
		p, ok := destinations.ParseEEAPolicy(*req.EEAWithoutConsent)
		if !ok {
			fail(c, http.StatusUnprocessableEntity, "eea_without_consent must be send, denied or skip")
			return
		}
		set.EEAWithoutConsent = string(p)
	}
	updated, err := s.Store.UpdateAccountSettings(ctx, a.ID, set)
	s.Accounts.ForgetAccount(a.ID) // this process's intake, dispatch and activities read the change at once
	if err != nil {
		s.failErr(c, "settings", err)
		return
	}
	s.admin.Record(ctx, a.ID, admin.AuditSettingsUpdate, "settings", viewSettings(a), viewSettings(updated))
	if updated.Currency != a.Currency {
		// Best effort now; the rates schedule converts whatever is still pending.
		if _, err := s.Store.ConvertPending(ctx, a.ID); err != nil {
			s.Logger.Warn("re-converting after a currency change", "account", a.ID, "error", err)
		}
	}
	c.JSON(http.StatusOK, viewSettings(updated))
}

// validTimezone accepts IANA names only: time.LoadLocation also takes "" and
// "Local", which would depend on the server's own setting.
func validTimezone(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" || v == "Local" {
		return "", false
	}
	loc, err := time.LoadLocation(v)
	if err != nil {
		return "", false
	}
	return loc.String(), true
}

// validRegion accepts an empty value (unknown) or an ISO 3166-1 alpha-2 country.
func validRegion(v string) (string, bool) {
	v = strings.ToUpper(strings.TrimSpace(v))
	if v == "" {
		return "", true
	}
	if len(v) != 2 {
		return "", false
	}
	r, err := language.ParseRegion(v)
	if err != nil || !r.IsCountry() {
		return "", false
	}
	return r.String(), true
}
