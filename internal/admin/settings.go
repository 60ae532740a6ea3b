package admin

import (
	"context"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// Settings are an account's settings as the API and the console show them.
type Settings struct {
	Currency           string `json:"currency"`
	Timezone           string `json:"timezone"`
	DefaultPhoneRegion string `json:"default_phone_region"`
	EEAWithoutConsent  string `json:"eea_without_consent"` // send, denied or skip
}

func viewSettings(a store.Account) Settings {
	return Settings{Currency: a.Currency, Timezone: a.Timezone, DefaultPhoneRegion: a.DefaultPhoneRegion,
		EEAWithoutConsent: a.EEAWithoutConsent}
}

// SettingsChange changes some settings: a nil field keeps its value.
type SettingsChange struct {
	Currency           *string `json:"currency"`
	Timezone           *string `json:"timezone"`
	DefaultPhoneRegion *string `json:"default_phone_region"`
	EEAWithoutConsent  *string `json:"eea_without_consent"`
}

// Settings reads an account's settings.
func (s *Service) Settings(ctx context.Context, account string) (Settings, error) {
	if _, err := s.authorize(ctx, account, ActReadSetup); err != nil {
		return Settings{}, err
	}
	a, err := s.Store.GetAccount(ctx, account)
	if err != nil {
		return Settings{}, fromStore("account", err)
	}
	return viewSettings(a), nil
}

// UpdateSettings changes an account's settings. Changing the currency
// re-converts the account's conversions with the stored rates (those without a
// known rate wait for the next rates fetch).
func (s *Service) UpdateSettings(ctx context.Context, account string, req SettingsChange) (Settings, error) {
	if _, err := s.authorize(ctx, account, ActChangeSetup); err != nil {
		return Settings{}, err
	}
	a, err := s.Store.GetAccount(ctx, account)
	if err != nil {
		return Settings{}, fromStore("account", err)
	}
	set, err := applySettings(a, req)
	if err != nil {
		return Settings{}, err
	}
	updated, err := s.Store.UpdateAccountSettings(ctx, a.ID, set)
	if s.Accounts != nil {
		s.Accounts.ForgetAccount(a.ID) // this process's intake, dispatch and activities read the change at once
	}
	if err != nil {
		return Settings{}, fromStore("settings", err)
	}
	s.Record(ctx, a.ID, AuditSettingsUpdate, "settings", viewSettings(a), viewSettings(updated))
	if updated.Currency != a.Currency {
		// Best effort now; the rates schedule converts whatever is still pending.
		if _, err := s.Store.ConvertPending(ctx, a.ID); err != nil {
			s.Logger.Warn("re-converting after a currency change", "account_id", a.ID, "error", err)
		}
	}
	return viewSettings(updated), nil
}

// applySettings checks a change against the account's settings.
func applySettings(a store.Account, req SettingsChange) (store.AccountSettings, error) {
	set := store.AccountSettings{Currency: a.Currency, Timezone: a.Timezone, DefaultPhoneRegion: a.DefaultPhoneRegion,
		EEAWithoutConsent: a.EEAWithoutConsent}
	if req.Currency != nil {
		set.Currency = strings.ToUpper(strings.TrimSpace(*req.Currency))
		if !postback.IsCurrency(set.Currency) {
			return set, Invalid("currency", "currency must be an ISO 4217 code such as USD or EUR")
		}
	}
	if req.Timezone != nil {
		tz, ok := validTimezone(*req.Timezone)
		if !ok {
			return set, Invalid("timezone", "timezone must be an IANA time zone such as Europe/Paris or UTC")
		}
		set.Timezone = tz
	}
	if req.DefaultPhoneRegion != nil {
		r, ok := validRegion(*req.DefaultPhoneRegion)
		if !ok {
			return set, Invalid("default_phone_region", "default_phone_region must be an ISO 3166 alpha-2 country code such as US or FR, or empty")
		}
		set.DefaultPhoneRegion = r
	}
	if req.EEAWithoutConsent != nil {
		p, ok := destinations.ParseEEAPolicy(*req.EEAWithoutConsent)
		if !ok {
			return set, Invalid("eea_without_consent", "eea_without_consent must be send, denied or skip")
		}
		set.EEAWithoutConsent = string(p)
	}
	return set, nil
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
