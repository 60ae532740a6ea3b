package admin

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/store"
)

// Audit actions: what changed, "<thing>.<verb>".
const (
	AuditIntegrationCreate = "integration.create"
	AuditIntegrationDelete = "integration.delete"
	AuditIntegrationRules  = "integration.status_rules"
	AuditTagSettings       = "tag_settings.update"
	AuditTokenAdd          = "integration_token.add"
	AuditTokenRevoke       = "integration_token.revoke"
	AuditDestinationCreate = "destination.create"
	AuditDestinationUpdate = "destination.update"
	AuditDestinationDelete = "destination.delete"
	AuditCampaignCreate    = "campaign.create"
	AuditCampaignUpdate    = "campaign.update"
	AuditCampaignDelete    = "campaign.delete"
	AuditSettingsUpdate    = "settings.update"
	AuditKeyCreate         = "key.create"
	AuditKeyRevoke         = "key.revoke"
	AuditPostbackRedrive   = "postback.redrive"
	AuditDeliveryRedrive   = "delivery.redrive"
	AuditBackfill          = "destination.backfill"
	AuditImport            = "import"
	AuditCostSet           = "cost.set"
	AuditCostImport        = "cost.import"
	AuditErasure           = "erasure"
	AuditUserInvite        = "user.invite"
	AuditUserRevoke        = "user.revoke"
	AuditUserAccept        = "user.accept"
	AuditSignOutEverywhere = "user.sign_out_everywhere"
)

// Record writes one audit entry for a change the principal in ctx made:
// before and after are shown as JSON and must already have their secrets
// masked (destinationAudit, integrations never marshal their tokens). A failure
// to record is logged: the change has happened and is not undone.
func (s *Service) Record(ctx context.Context, account, action, target string, before, after any) {
	p, _ := PrincipalFrom(ctx)
	e := store.AuditEntry{AccountID: account, Actor: p.Who(), Role: p.Role, Action: action, Target: target,
		Before: auditJSON(before), After: auditJSON(after)}
	if err := s.Store.AddAudit(context.WithoutCancel(ctx), e); err != nil && s.Logger != nil {
		s.Logger.Error("audit entry not recorded", "account_id", account, "action", action, "target", target, "error", err)
	}
}

func auditJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

func target(kind string, id int64) string { return kind + ":" + strconv.FormatInt(id, 10) }

// destinationAudit is how a destination appears in the audit log: its
// credentials masked by destinations.Redact.
func destinationAudit(d store.Destination) map[string]any {
	return map[string]any{"id": d.ID, "type": d.Type, "name": d.Name, "endpoint": d.Endpoint,
		"config": destinations.Redact(d.Config), "fire_on": d.FireOn, "campaign_id": d.CampaignID, "enabled": d.Enabled}
}

// AuditRequest filters the audit log (dates YYYY-MM-DD in UTC, To inclusive).
type AuditRequest struct {
	Actor, Action, Target string
	From, To              string
	Before                int64
	Limit                 int
}

// ListAudit lists the account's audit entries, newest first.
func (s *Service) ListAudit(ctx context.Context, account string, req AuditRequest) ([]store.AuditEntry, error) {
	if _, err := s.authorize(ctx, account, ActReadAudit); err != nil {
		return nil, err
	}
	f := store.AuditFilter{Actor: req.Actor, Action: req.Action, Target: req.Target, Before: req.Before, Limit: req.Limit}
	if req.From != "" || req.To != "" {
		from, to, err := DateRange(req.From, req.To, time.UTC, 0, time.Now())
		if err != nil {
			return nil, err
		}
		f.From, f.To = from, to
	}
	out, err := s.Store.ListAudit(ctx, account, f)
	return out, fromStore("audit log", err)
}
