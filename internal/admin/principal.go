package admin

import (
	"context"
	"slices"
	"strconv"

	"github.com/convrelay/convrelay/internal/store"
)

// Roles of the people and keys of an account. The role decides what a
// principal may do (Allowed, the one rule table) and whether it sees personal
// data (SeesPersonalData).
const (
	// RoleOwner: everything, users and keys included.
	RoleOwner = "owner"
	// RoleAdmin: set-up (integrations, destinations, campaigns, settings, keys),
	// re-drives, backfills, imports, erasure; reads everything.
	RoleAdmin = "admin"
	// RoleBuyer: reports, conversions and deliveries of their campaigns, with
	// personal data masked.
	RoleBuyer = "buyer"
	// RoleViewer: reports only (of their campaigns when scoped).
	RoleViewer = "viewer"
)

// Roles lists the roles, most powerful first.
var Roles = []string{RoleOwner, RoleAdmin, RoleBuyer, RoleViewer}

// ValidRole says whether r is one of Roles.
func ValidRole(r string) bool { return slices.Contains(Roles, r) }

// Principal is who asks: a user or an API key, its role, and the campaigns it
// is limited to (empty: every campaign of the account).
type Principal struct {
	Account string
	UserID  int64  // 0: not a person (a key of the account)
	Email   string // the user's, when UserID is set
	KeyID   int64  // 0: not a key (a console session)
	Role    string
	// Campaigns limits a buyer or viewer to these campaigns; empty: all.
	Campaigns []int64
	// LegacyReads is an admin key of role "read" made before roles: a viewer that
	// also reads the set-up, the postback log, conversions and deliveries, as such
	// keys always have, with personal data masked.
	LegacyReads bool
}

// Who names the principal for the audit log: "user:ann@example.com",
// "key:12" or "user:ann@example.com/key:12".
func (p Principal) Who() string {
	who := ""
	if p.UserID != 0 {
		who = "user:" + p.Email
		if p.Email == "" {
			who = "user:#" + strconv.FormatInt(p.UserID, 10)
		}
	}
	if p.KeyID != 0 {
		if who != "" {
			who += "/"
		}
		who += "key:" + strconv.FormatInt(p.KeyID, 10)
	}
	if who == "" {
		who = "system"
	}
	return who
}

// SeesPersonalData says whether emails, phones, names, IP addresses and user
// agents are shown to p unmasked.
func (p Principal) SeesPersonalData() bool { return p.Role == RoleOwner || p.Role == RoleAdmin }

// Scoped says whether p is limited to some campaigns.
func (p Principal) Scoped() bool { return len(p.Campaigns) > 0 }

// InScope says whether a row of campaign id (nil: unattributed) is visible to p.
// A scoped principal sees only its campaigns' rows, never unattributed ones.
func (p Principal) InScope(id *int64) bool {
	if !p.Scoped() {
		return true
	}
	return id != nil && slices.Contains(p.Campaigns, *id)
}

type principalKey struct{}

// WithPrincipal carries who asks in ctx; every admin method reads it from there.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns who asks; ok is false when nobody was set (a request
// that did not pass an adapter's sign-in: refused by Authorize).
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Action is one thing a principal may be allowed to do. Each adapter route and
// console page names the action it performs; the rule table below decides.
type Action string

// The actions. Reads of one resource are one action; changes are grouped by
// what they change.
const (
	ActReadSetup        Action = "setup.read"       // presets, integrations, destinations, settings, keys
	ActReadCampaigns    Action = "campaigns.read"   // campaigns (a scoped principal sees its own)
	ActChangeSetup      Action = "setup.change"     // integrations and tokens, destinations, campaigns, settings, clicks, test postbacks
	ActReadPostbacks    Action = "postbacks.read"   // the postback log (masked for roles without personal data)
	ActExportPostbacks  Action = "postbacks.export" // the raw postback export
	ActReadConversions  Action = "conversions.read" // conversions and their export
	ActReadDeliveries   Action = "deliveries.read"
	ActRedrive          Action = "redrive" // re-drives of postbacks and deliveries, backfills
	ActImport           Action = "import"
	ActReports          Action = "reports.read"
	ActManageKeys       Action = "keys.change"
	ActErase            Action = "erasure"
	ActReadAudit        Action = "audit.read"
	ActManageUsers      Action = "users.change"
	ActReadUsers        Action = "users.read"
	ActSeePersonalData  Action = "personal.read"
	ActTestDestinations Action = "destinations.test"
)

// rules is the one table of who may do what.
var rules = map[Action][]string{
	ActReadSetup:        {RoleOwner, RoleAdmin},
	ActReadCampaigns:    {RoleOwner, RoleAdmin, RoleBuyer},
	ActChangeSetup:      {RoleOwner, RoleAdmin},
	ActTestDestinations: {RoleOwner, RoleAdmin},
	ActReadPostbacks:    {RoleOwner, RoleAdmin},
	ActExportPostbacks:  {RoleOwner, RoleAdmin},
	ActReadConversions:  {RoleOwner, RoleAdmin, RoleBuyer},
	ActReadDeliveries:   {RoleOwner, RoleAdmin, RoleBuyer},
	ActRedrive:          {RoleOwner, RoleAdmin},
	ActImport:           {RoleOwner, RoleAdmin},
	ActReports:          {RoleOwner, RoleAdmin, RoleBuyer, RoleViewer},
	ActManageKeys:       {RoleOwner, RoleAdmin},
	ActErase:            {RoleOwner, RoleAdmin},
	ActReadAudit:        {RoleOwner, RoleAdmin},
	ActManageUsers:      {RoleOwner},
	ActReadUsers:        {RoleOwner, RoleAdmin},
	ActSeePersonalData:  {RoleOwner, RoleAdmin},
}

// legacyReads are what a pre-roles read-only key may do besides a viewer's.
var legacyReads = []Action{ActReadSetup, ActReadCampaigns, ActReadPostbacks, ActReadConversions, ActReadDeliveries, ActReadAudit, ActReadUsers}

// Allowed says whether p may do a.
func Allowed(p Principal, a Action) bool {
	if slices.Contains(rules[a], p.Role) {
		return true
	}
	return p.LegacyReads && slices.Contains(legacyReads, a)
}

// Known says whether a is in the rule table (an adapter's route naming an
// action nobody wrote a rule for is a bug its tests catch).
func Known(a Action) bool {
	_, ok := rules[a]
	return ok
}

// Authorize refuses (KindForbidden) a request whose principal may not do a, or
// that carries no principal or one of another account.
func Authorize(ctx context.Context, account string, a Action) (Principal, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return p, refuse(KindForbidden, "not signed in")
	}
	if p.Account != account {
		return p, refuse(KindForbidden, "this key does not belong to account "+strconv.Quote(account))
	}
	if !Known(a) {
		return p, &Error{Kind: KindInternal, Message: "internal error", Cause: errUnknownAction(a)}
	}
	if !Allowed(p, a) {
		return p, refuse(KindForbidden, forbiddenText(p, a))
	}
	return p, nil
}

type errUnknownAction Action

func (e errUnknownAction) Error() string { return "no rule for action " + string(e) }

func forbiddenText(p Principal, a Action) string {
	if p.LegacyReads {
		return "this admin key is read-only"
	}
	return "the " + p.Role + " role may not do this (" + string(a) + ")"
}

// authorize is Authorize for the service's own methods.
func (s *Service) authorize(ctx context.Context, account string, a Action) (Principal, error) {
	return Authorize(ctx, account, a)
}

// inScope refuses a row outside a scoped principal's campaigns.
func inScope(p Principal, campaign *int64, what string) error {
	if !p.InScope(campaign) {
		return refuse(KindForbidden, what+" belongs to a campaign outside your scope")
	}
	return nil
}

// KeyPrincipal is who an API key is: its role (a pre-roles "read" key is a
// viewer with the reads such keys always had), its campaigns and its user.
func KeyPrincipal(k store.APIKey) Principal {
	p := Principal{Account: k.AccountID, KeyID: k.ID, Role: k.Role, Campaigns: k.Campaigns}
	if k.UserID != nil {
		p.UserID = *k.UserID
	}
	if k.Role == store.RoleRead {
		p.Role, p.LegacyReads = RoleViewer, true
	}
	return p
}
