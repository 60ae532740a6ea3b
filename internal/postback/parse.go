package postback

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
)

// Parse reads one postback against the integration's contract. It returns
// *Error for content that breaks the contract, an error wrapping
// ErrMalformedBody for an unreadable body, and ErrUnknownPreset (wrapped)
// for an integration naming a preset that does not exist.
func Parse(req Request, integ Integration) (*Postback, error) {
	preset := lookupPreset(integ.Preset)
	if preset == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownPreset, integ.Preset)
	}
	query := parseQuery(req.RawQuery, fromQuery)
	body, err := parseBody(req.Body, req.ContentType)
	if err != nil {
		return nil, err
	}
	ps := newParamSet(query, body, integ.FieldMap, preset)
	pb := &Postback{Params: ps.logParams()}

	// Identity first: without one nothing else matters (seed 001).
	pb.ClickID, _ = ps.core(aliasClickID)
	pb.RefID, _ = ps.core(aliasRefID)
	pb.Email = ps.exact(nameEmail)
	pb.VisitorID, _ = ps.core(aliasVisitor)
	pb.PageID, _ = ps.core(aliasPage)
	if pb.ClickID == "" && pb.RefID == "" && pb.Email == "" && pb.VisitorID == "" {
		return nil, &Error{Field: "click_id", Message: MsgMissingIdentity}
	}

	pb.RawStatus, _ = ps.core(aliasStatus)
	pb.Status, pb.StatusSource, err = classifyStatus(pb.RawStatus, preset, integ)
	if err != nil {
		return nil, err
	}

	if err := resolveValue(ps, pb); err != nil {
		return nil, err
	}
	if raw, _ := ps.core(aliasCurrency); raw != "" {
		code, ok := normalizeCurrency(raw)
		if !ok {
			return nil, fieldError("currency", "Unknown currency %q", short(raw))
		}
		pb.Currency = code
	}
	pb.TransactionID, _ = ps.core(aliasTransaction)
	pb.BrandName, _ = ps.core(aliasBrand)
	pb.EventID, _ = ps.core(aliasEventID)

	if raw, alias := ps.core(aliasTimestamp); raw != "" && !isBlankTime(raw) {
		t, err := parseTimestamp(raw)
		if err != nil {
			return nil, fieldError("timestamp", "Invalid timestamp in %s %q: %v", alias, short(raw), err)
		}
		pb.Timestamp = &t
	}

	eventName, _ := ps.core(aliasEventName)
	pb.ConversionType = ps.exact(nameConversionType)
	name, src, everr := classifyEvent(eventName, pb.ConversionType, pb.Value, pb.ValueAlias)
	if everr != nil {
		return nil, everr
	}
	pb.EventName, pb.EventSource = name, src

	if v, _ := ps.core(aliasDisable); v != "" {
		switch strings.ToLower(v) {
		case "true", "1", "yes":
			pb.DisablePostbacks = true
		}
	}

	pb.Traits = resolveTraits(ps, pb.Email)

	if p, ok := ps.exactAny(nameItems); ok {
		items, err := parseItems(p)
		if err != nil {
			return nil, err
		}
		pb.Items = items
	}

	pb.Passthrough = ps.passthrough()

	// Enrichment only: a bad IP is dropped rather than failing the postback.
	if ip, _ := ps.core(aliasIP); ip != "" {
		if addr, err := netip.ParseAddr(ip); err == nil {
			pb.IP = addr.String()
		}
	}
	pb.UserAgent, _ = ps.core(aliasUserAgent)
	pb.Consent = resolveConsent(ps)
	pb.GAClientID = ps.exact(nameGAClientID)
	return pb, nil
}

// resolveValue reads the amount. A negative amount is accepted whatever the
// status: revenue-share networks report chargebacks and player losses as a
// negative commission on an approved conversion, which is recorded and
// reported as that negative value (the transaction's value, in reports and
// in the {payout} of postbacks and webhooks). A rejection is still said by
// the status, never by the value (FunnelFlux's "-1 deletes" included); an
// automatic event stays Lead for a negative amount (only a positive
// commission makes a Purchase).
func resolveValue(ps *paramSet, pb *Postback) *Error {
	raw, alias := ps.core(aliasValue)
	if raw == "" {
		return nil
	}
	d, err := parseDecimal(raw)
	if err != nil {
		return fieldError("value", "Invalid value in %s %q: %v", alias, short(raw), err)
	}
	pb.Value, pb.ValueAlias = &d, alias
	return nil
}

// resolveTraits reads the exact-name traits; a full name fills whichever of
// first and last name was not sent on its own, split at the first run of
// whitespace.
func resolveTraits(ps *paramSet, email string) Traits {
	t := Traits{
		Email:     email,
		FirstName: ps.exact(nameFirstName),
		LastName:  ps.exact(nameLastName),
		Phone:     ps.exact(namePhone),
		Birthdate: ps.exact(nameBirthdate),
		City:      ps.exact(nameCity),
		State:     ps.exact(nameState),
		Zipcode:   ps.exact(nameZipcode),
		Country:   ps.exact(nameCountry),
	}
	if full := ps.exact(nameFullName); full != "" {
		first, last := splitName(full)
		if t.FirstName == "" {
			t.FirstName = first
		}
		if t.LastName == "" {
			t.LastName = last
		}
	}
	return t
}

func splitName(full string) (string, string) {
	i := strings.IndexFunc(full, unicode.IsSpace)
	if i < 0 {
		return full, ""
	}
	return full[:i], strings.TrimSpace(full[i:])
}
