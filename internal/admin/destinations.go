package admin

import (
	"context"
	"strings"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/intake"
	"github.com/convrelay/convrelay/internal/store"
)

// DestinationRequest creates or replaces a destination.
type DestinationRequest struct {
	Type       string              `json:"type"`
	Name       string              `json:"name"`
	Endpoint   string              `json:"endpoint"`
	Config     map[string]string   `json:"config"`
	FireOn     destinations.FireOn `json:"fire_on"` // ["approved","rejected"] or one name
	CampaignID *int64              `json:"campaign_id"`
	Enabled    *bool               `json:"enabled"`
}

// SavedDestination is a destination as stored, with a webhook secret the save
// generated (shown once; "" when none was generated).
type SavedDestination struct {
	store.Destination
	GeneratedSecret string
}

// CreateDestination validates and stores a new destination.
func (s *Service) CreateDestination(ctx context.Context, account string, req DestinationRequest) (SavedDestination, error) {
	if _, err := s.authorize(ctx, account, ActChangeSetup); err != nil {
		return SavedDestination{}, err
	}
	d, generated, err := s.validDestination(ctx, account, req, nil)
	if err != nil {
		return SavedDestination{}, err
	}
	out, err := s.Store.CreateDestination(ctx, d)
	if err != nil {
		return SavedDestination{}, fromStore("create destination", err)
	}
	s.Record(ctx, account, AuditDestinationCreate, target("destination", out.ID), nil, destinationAudit(out))
	return SavedDestination{Destination: out, GeneratedSecret: generated}, nil
}

// UpdateDestination replaces destination id. A secret sent back in its masked
// form keeps the stored value, but never follows the destination to another
// host: whoever changes where it goes must enter the secret again.
func (s *Service) UpdateDestination(ctx context.Context, account string, id int64, req DestinationRequest) (store.Destination, error) {
	if _, err := s.authorize(ctx, account, ActChangeSetup); err != nil {
		return store.Destination{}, err
	}
	old, err := s.Store.GetDestination(ctx, account, id)
	if err != nil {
		return old, fromStore("destination", err)
	}
	// Masked secrets sent back keep the stored ones, unless a host they go to
	// changed: whoever moves a destination must know its secrets.
	req.Config, err = destinations.KeepSecrets(
		destinations.Destination{Type: destinations.Type(old.Type), Endpoint: old.Endpoint, Config: old.Config},
		destinations.Destination{Type: destinations.Type(req.Type), Endpoint: req.Endpoint, Config: req.Config})
	if err != nil {
		return old, Invalid("config", err.Error())
	}
	// What the destination had decides what an edit keeps; a change of type
	// makes it a new destination of the new type.
	var stored map[string]string
	if old.Type == req.Type {
		stored = make(map[string]string, len(old.Config))
		for k, v := range old.Config {
			stored[k] = v
		}
	}
	d, _, err := s.validDestination(ctx, account, req, stored)
	if err != nil {
		return old, err
	}
	d.ID = id
	out, err := s.Store.UpdateDestination(ctx, d)
	if err != nil {
		return out, fromStore("destination", err)
	}
	s.Record(ctx, account, AuditDestinationUpdate, target("destination", id), destinationAudit(old), destinationAudit(out))
	return out, nil
}

// DeleteDestination removes destination id.
func (s *Service) DeleteDestination(ctx context.Context, account string, id int64) error {
	if _, err := s.authorize(ctx, account, ActChangeSetup); err != nil {
		return err
	}
	old, err := s.Store.GetDestination(ctx, account, id)
	if err != nil {
		return fromStore("destination", err)
	}
	if err := s.Store.DeleteDestination(ctx, account, id); err != nil {
		return fromStore("destination", err)
	}
	s.Record(ctx, account, AuditDestinationDelete, target("destination", id), destinationAudit(old), nil)
	return nil
}

// validDestination checks a request and turns it into a store row. A webhook
// without a secret gets a generated one, returned to be shown once. stored is
// the config the destination had (nil when it is new).
func (s *Service) validDestination(ctx context.Context, account string, req DestinationRequest, stored map[string]string) (store.Destination, string, error) {
	if req.FireOn == 0 {
		req.FireOn = destinations.DefaultFireOn(destinations.Type(req.Type))
	}
	if err := destinations.ValidateFireOn(destinations.Type(req.Type), req.FireOn); err != nil {
		return store.Destination{}, "", Invalid("fire_on", err.Error())
	}
	if req.Name == "" {
		req.Name = req.Type
	}
	generated := ""
	if req.Type == string(destinations.TypeWebhook) && strings.TrimSpace(req.Config["secret"]) == "" {
		secret, err := destinations.NewWebhookSecret()
		if err != nil {
			return store.Destination{}, "", &Error{Kind: KindInternal, Message: "webhook secret: internal error", Cause: err}
		}
		if req.Config == nil {
			req.Config = map[string]string{}
		}
		req.Config["secret"], generated = secret, secret
	}
	d := destinations.Prepare(destinations.Destination{Type: destinations.Type(req.Type), Name: req.Name,
		Endpoint: req.Endpoint, Config: req.Config}, stored)
	req.Config = d.Config
	if err := destinations.Validate(d); err != nil {
		return store.Destination{}, "", Invalid("", err.Error())
	}
	// A URL naming a refused address is refused now rather than at each delivery.
	if err := (destinations.Guard{Allow: s.Config.DestinationAllow}).CheckURLs(d); err != nil {
		return store.Destination{}, "", Invalid("", string(d.Type)+" destination "+intake.Quote(d.Name)+": "+err.Error())
	}
	if req.CampaignID != nil {
		if _, err := s.Store.GetCampaign(ctx, account, *req.CampaignID); err != nil {
			return store.Destination{}, "", fromStore("campaign", err)
		}
	}
	enabled := true
	if req.Enabled != nil {
		enabled = *req.Enabled
	}
	return store.Destination{AccountID: account, Type: req.Type, Name: req.Name, Endpoint: req.Endpoint,
		Config: req.Config, FireOn: req.FireOn, CampaignID: req.CampaignID, Enabled: enabled}, generated, nil
}

// TestEvent is a sample conversion for a destination's test; every field is optional.
type TestEvent = destinations.TestEvent

// TestDestination sends a sample conversion to a destination as a real delivery
// would (through the same outbound guard) and returns what the platform said.
// Nothing is recorded. A currency left empty is the account's.
func (s *Service) TestDestination(ctx context.Context, account string, id int64, ev TestEvent) (destinations.TestOutcome, error) {
	if _, err := s.authorize(ctx, account, ActTestDestinations); err != nil {
		return destinations.TestOutcome{}, err
	}
	d, err := s.Store.GetDestination(ctx, account, id)
	if err != nil {
		return destinations.TestOutcome{}, fromStore("destination", err)
	}
	if ev.Currency == "" {
		acct, err := s.Accounts.Account(ctx, account)
		if err != nil {
			return destinations.TestOutcome{}, fromStore("account", err)
		}
		ev.Currency = acct.Currency
	}
	dest := destinations.Destination{ID: d.ID, Type: destinations.Type(d.Type), Name: d.Name, Endpoint: d.Endpoint, Config: d.Config}
	if err := destinations.Validate(dest); err != nil {
		return destinations.TestOutcome{}, Invalid("", err.Error())
	}
	sender := s.Sender
	if sender == nil {
		sender = &destinations.Sender{Guard: destinations.Guard{Allow: s.Config.DestinationAllow}}
	}
	return sender.SendTest(ctx, dest, ev), nil
}
