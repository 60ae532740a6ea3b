package api

import (
	"encoding/json"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/store"
)

// The admin API's answers. Each resource has its own type with its JSON names
// written here, built from the store's row by one function: a column added to a
// store row reaches a client only when it is added here, and the functions are
// where secrets are left out or masked (destination credentials, integration
// tokens; key hashes are never read into a row). The exceptions are the rows
// the audit log records as they are, whose JSON names are already what a
// client reads (GET /audit): a key and an integration embed their row, a
// campaign its settings (store.CampaignSettings), so the answer and the audit
// entry cannot drift apart. A field added to one of those rows reaches both.
// The names are the API's contract (README, Admin API): change them only with
// the README.

// apiConversion is one conversion; History is set by GET /conversions/{id}.
type apiConversion struct {
	ID                 int64             `json:"id"`
	TransactionID      string            `json:"transaction_id"`
	TxKey              string            `json:"tx_key"`
	Rebill             int               `json:"rebill"` // 0: the transaction's own conversion; n: its n-th new one (duplicate mode new)
	Integration        string            `json:"integration"`
	Status             string            `json:"status"`
	Value              decimal.Decimal   `json:"value"`
	Currency           string            `json:"currency"`
	ValueAccount       *decimal.Decimal  `json:"value_account"` // null until the rate is known
	AccountCurrency    *string           `json:"account_currency"`
	Rate               *decimal.Decimal  `json:"rate"`
	RateDate           *time.Time        `json:"rate_date"`
	EventName          string            `json:"event_name"`
	ClickID            string            `json:"click_id"`
	CampaignID         *int64            `json:"campaign_id"`
	TrafficSource      string            `json:"traffic_source"`
	Attributed         bool              `json:"attributed"`
	UnattributedReason string            `json:"unattributed_reason,omitempty"`
	ConvertedAt        time.Time         `json:"converted_at"`
	CreatedAt          time.Time         `json:"created_at"`
	UpdatedAt          time.Time         `json:"updated_at"`
	DeletedAt          *time.Time        `json:"deleted_at,omitempty"`
	WorkflowID         string            `json:"workflow_id"`
	Source             *apiSourceClick   `json:"source,omitempty"`
	History            []apiHistoryEntry `json:"history,omitempty"`
	Deliveries         []apiDelivery     `json:"deliveries"`
	Postback           json.RawMessage   `json:"postback,omitempty"`
}

// apiSourceClick is the attributed click's source data.
type apiSourceClick struct {
	ExternalID string `json:"external_id"`
	VisitorID  string `json:"visitor_id"`
	FBCLID     string `json:"fbclid"`
	GCLID      string `json:"gclid"`
	GBRAID     string `json:"gbraid"`
	WBRAID     string `json:"wbraid"`
	TTCLID     string `json:"ttclid"`
	FBC        string `json:"fbc"`
	FBP        string `json:"fbp"`
	IP         string `json:"ip"`
	UserAgent  string `json:"user_agent"`
	Referrer   string `json:"referrer"`
}

// apiHistoryEntry is one status transition of a conversion.
type apiHistoryEntry struct {
	PostbackID *int64          `json:"postback_id"`
	From       string          `json:"from"`
	To         string          `json:"to"`
	Value      decimal.Decimal `json:"value"`
	At         time.Time       `json:"at"`
}

func newAPIConversion(c store.Conversion) apiConversion {
	v := apiConversion{ID: c.ID, TransactionID: c.TransactionID, TxKey: c.TxKey, Rebill: c.Rebill, Integration: c.Integration, Status: c.Status,
		Value: c.Value, Currency: c.Currency, ValueAccount: c.ValueAccount, AccountCurrency: c.AccountCurrency, Rate: c.Rate,
		RateDate: c.RateDate, EventName: c.EventName, ClickID: c.ClickID, CampaignID: c.CampaignID, TrafficSource: c.TrafficSource,
		Attributed: c.Attributed, UnattributedReason: c.UnattributedReason, ConvertedAt: c.ConvertedAt, CreatedAt: c.CreatedAt,
		UpdatedAt: c.UpdatedAt, DeletedAt: c.DeletedAt, WorkflowID: c.WorkflowID, Postback: c.Postback,
		Deliveries: make([]apiDelivery, 0, len(c.Deliveries))}
	if s := c.Source; s != nil {
		v.Source = &apiSourceClick{ExternalID: s.ExternalID, VisitorID: s.VisitorID, FBCLID: s.FBCLID, GCLID: s.GCLID, GBRAID: s.GBRAID,
			WBRAID: s.WBRAID, TTCLID: s.TTCLID, FBC: s.FBC, FBP: s.FBP, IP: s.IP, UserAgent: s.UserAgent, Referrer: s.Referrer}
	}
	for _, h := range c.History {
		v.History = append(v.History, apiHistoryEntry{PostbackID: h.PostbackID, From: h.From, To: h.To, Value: h.Value, At: h.At})
	}
	for _, d := range c.Deliveries {
		v.Deliveries = append(v.Deliveries, newAPIDelivery(d))
	}
	return v
}

// apiDelivery is one delivery of a conversion to a destination.
type apiDelivery struct {
	ID              int64      `json:"id"`
	ConversionID    int64      `json:"conversion_id"`
	DestinationID   int64      `json:"destination_id"`
	DestinationType string     `json:"destination_type"`
	DestinationName string     `json:"destination_name"`
	TransactionID   string     `json:"transaction_id"`
	WorkflowID      string     `json:"workflow_id"`
	Kind            string     `json:"kind"`
	EventID         string     `json:"event_id"`
	Status          string     `json:"status"`
	Attempts        int        `json:"attempts"`
	LastCode        int        `json:"last_code"`
	LastError       string     `json:"last_error,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	DeliveredAt     *time.Time `json:"delivered_at,omitempty"`
	Origin          string     `json:"origin"` // "live" or "backfill"
}

func newAPIDelivery(d store.Delivery) apiDelivery {
	return apiDelivery{ID: d.ID, ConversionID: d.ConversionID, DestinationID: d.DestinationID, DestinationType: d.DestinationType,
		DestinationName: d.DestinationName, TransactionID: d.TransactionID, WorkflowID: d.WorkflowID, Kind: d.Kind, EventID: d.EventID,
		Status: d.Status, Attempts: d.Attempts, LastCode: d.LastCode, LastError: d.LastError, CreatedAt: d.CreatedAt,
		UpdatedAt: d.UpdatedAt, DeliveredAt: d.DeliveredAt, Origin: d.Origin}
}

// apiLogEntry is one row of the postback log. The integration token never
// reaches it: the intake takes token= out of the query before the row is written.
type apiLogEntry struct {
	ID            int64           `json:"id"`
	AccountID     string          `json:"account_id"`
	Integration   string          `json:"integration"`
	Method        string          `json:"method"`
	Path          string          `json:"path"`
	RawQuery      string          `json:"raw_query"`
	RawBody       string          `json:"raw_body"`
	SourceIP      string          `json:"source_ip"`
	ReceivedAt    time.Time       `json:"received_at"`
	Canonical     json.RawMessage `json:"canonical,omitempty"`
	TransactionID string          `json:"transaction_id"`
	WorkflowID    string          `json:"workflow_id"`
	Outcome       string          `json:"outcome"`
	Error         string          `json:"error,omitempty"`
	FailedReason  string          `json:"failed_reason,omitempty"` // class of a 'failed' outcome
	Note          string          `json:"note,omitempty"`
	DispatchedAt  *time.Time      `json:"dispatched_at,omitempty"`
	ProcessedAt   *time.Time      `json:"processed_at,omitempty"`
}

func newAPILogEntry(e store.LogEntry) apiLogEntry {
	return apiLogEntry{ID: e.ID, AccountID: e.AccountID, Integration: e.Integration, Method: e.Method, Path: e.Path,
		RawQuery: e.RawQuery, RawBody: e.RawBody, SourceIP: e.SourceIP, ReceivedAt: e.ReceivedAt, Canonical: e.Canonical,
		TransactionID: e.TransactionID, WorkflowID: e.WorkflowID, Outcome: e.Outcome, Error: e.Error, FailedReason: e.FailedReason,
		Note: e.Note, DispatchedAt: e.DispatchedAt, ProcessedAt: e.ProcessedAt}
}

// apiDestination is a destination with its secrets masked: built only through
// newAPIDestination, so no answer can carry a credential in full.
type apiDestination struct {
	ID         int64             `json:"id"`
	AccountID  string            `json:"account_id"`
	Type       string            `json:"type"`
	Name       string            `json:"name"`
	Endpoint   string            `json:"endpoint"`
	Config     map[string]string `json:"config"` // secrets keep only their last 4 characters
	FireOn     []string          `json:"fire_on"`
	CampaignID *int64            `json:"campaign_id"`
	Enabled    bool              `json:"enabled"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
	// WebhookSecret is a generated webhook signing secret, in the creation's
	// answer only (shown once).
	WebhookSecret string `json:"webhook_secret,omitempty"`
}

func newAPIDestination(d store.Destination) apiDestination {
	v := apiDestination{ID: d.ID, AccountID: d.AccountID, Type: d.Type, Name: d.Name, Endpoint: d.Endpoint,
		Config: destinations.Redact(d.Config), FireOn: []string{}, CampaignID: d.CampaignID, Enabled: d.Enabled,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	for _, e := range d.FireOn.Events() {
		v.FireOn = append(v.FireOn, string(e))
	}
	return v
}

// apiKey is an admin key's handle: never the key, never its hash. It is the
// row (store.APIKey, a key as it can be shown) and, in the creation's answer
// only, the key itself (shown once).
type apiKey struct {
	store.APIKey
	Key string `json:"key,omitempty"`
}

func newAPIKey(k store.APIKey) apiKey { return apiKey{APIKey: k} }

// apiCampaign is a campaign with its tracking link. Its settings are the
// request's (store.CampaignSettings: the names a campaign is sent with are the
// names it is shown with); the account id is not shown.
type apiCampaign struct {
	ID int64 `json:"id"`
	// Slug is the public id in the click URL; ID is for this API.
	Slug string `json:"slug"`
	store.CampaignSettings
	CapUsage    []store.CapUsage `json:"cap_usage,omitempty"` // GET /campaigns/{id}: today's and total slots taken
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
	TrackingURL string           `json:"tracking_url"`
}

func (s *server) newAPICampaign(cp store.Campaign) apiCampaign {
	return apiCampaign{ID: cp.ID, Slug: cp.Slug, CampaignSettings: cp.CampaignSettings, CreatedAt: cp.CreatedAt,
		UpdatedAt: cp.UpdatedAt, TrackingURL: s.Config.PublicURL + "/c/" + cp.Slug}
}

// apiReport is GET /reports' answer.
type apiReport struct {
	GroupBy  []string          `json:"group_by"`
	Filters  map[string]string `json:"filters"`
	From     string            `json:"from"`
	To       string            `json:"to"`
	Timezone string            `json:"timezone"`
	Currency string            `json:"currency"`
	Rows     []apiReportRow    `json:"rows"`
}

// apiReportRow is one group of a report.
type apiReportRow struct {
	Key            string            `json:"key"`   // the group's values joined by " / "
	Group          map[string]string `json:"group"` // dimension -> value
	Clicks         int64             `json:"clicks"`
	Pending        int64             `json:"pending"`
	Approved       int64             `json:"approved"`
	Rejected       int64             `json:"rejected"`
	Conversions    int64             `json:"conversions"`
	Unconverted    int64             `json:"unconverted"`
	Revenue        decimal.Decimal   `json:"revenue"`
	ConversionRate *decimal.Decimal  `json:"conversion_rate"`
	EPC            *decimal.Decimal  `json:"epc"`
	Cost           *decimal.Decimal  `json:"cost"`   // account currency; null when the dimensions do not split clicks
	Profit         *decimal.Decimal  `json:"profit"` // revenue - cost
	ROI            *decimal.Decimal  `json:"roi"`    // profit / cost; null when cost is 0
	CPA            *decimal.Decimal  `json:"cpa"`    // cost / conversions; null without conversions
}

func newAPIReportRow(r store.ReportRow) apiReportRow {
	return apiReportRow{Key: r.Key, Group: r.Group, Clicks: r.Clicks, Pending: r.Pending, Approved: r.Approved, Rejected: r.Rejected,
		Conversions: r.Conversions, Unconverted: r.Unconverted, Revenue: r.Revenue, ConversionRate: r.ConversionRate, EPC: r.EPC,
		Cost: r.Cost, Profit: r.Profit, ROI: r.ROI, CPA: r.CPA}
}

// apiIntegration is an integration as the API shows it. Open says whether it
// takes postbacks without a token. A token is shown in full only in the answer
// that creates it (Token, and the template carrying it); afterwards Tokens lists
// the live ones by id and masked form, and the template carries "{token}".
type apiIntegration struct {
	// The row, without its tokens (secrets): Tokens below shows them masked.
	store.Integration
	HasToken            bool       `json:"has_token"`
	Tokens              []apiToken `json:"tokens"`
	PostbackURL         string     `json:"postback_url"`
	PostbackURLTemplate string     `json:"postback_url_template"`
	Token               string     `json:"token,omitempty"`
}

// apiToken is a live integration token: its id (to revoke it) and a masked
// form that tells tokens apart without giving one away.
type apiToken struct {
	ID        int64     `json:"id"`
	Masked    string    `json:"masked"`
	CreatedAt time.Time `json:"created_at"`
}

// apiNewToken is POST /integrations/{slug}/tokens' answer: the new token in full, shown once.
type apiNewToken struct {
	ID                  int64     `json:"id"`
	Token               string    `json:"token"`
	Masked              string    `json:"masked"`
	CreatedAt           time.Time `json:"created_at"`
	PostbackURLTemplate string    `json:"postback_url_template"`
}

// newAPIIntegration shows an integration; shown is the token to put in full in
// the template (the one just created), or "" for the masked view.
func (s *server) newAPIIntegration(in store.Integration, shown string) apiIntegration {
	row := in
	row.Tokens = nil // the view holds no secret but the one it is told to show
	v := apiIntegration{Integration: row, HasToken: !in.Open && len(in.Tokens) > 0,
		Tokens: make([]apiToken, 0, len(in.Tokens)), PostbackURL: s.integrationBase(in), Token: shown}
	for _, t := range in.Tokens {
		v.Tokens = append(v.Tokens, apiToken{ID: t.ID, Masked: admin.MaskToken(t.Secret), CreatedAt: t.CreatedAt})
	}
	token := shown
	if token == "" && v.HasToken {
		token = admin.TokenPlaceholder
	}
	v.PostbackURLTemplate = s.postbackTemplate(in, token)
	return v
}
