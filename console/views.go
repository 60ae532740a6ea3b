package console

import (
	"encoding/json"
	"net/url"
	"sort"
	"time"

	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/store"
)

// The console's own view types: what a page shows, apart from the store's rows.

// consoleIntegration is an integration on the console's pages: its template
// carries "{token}", and its tokens are shown masked.
type consoleIntegration struct {
	Slug, Preset, URLTemplate string
	Open                      bool
	Tokens                    []consoleToken
}

type consoleToken struct {
	ID        int64
	Masked    string
	CreatedAt time.Time
}

func (s *Console) newConsoleIntegration(in store.Integration) consoleIntegration {
	token := ""
	if !in.Open && len(in.Tokens) > 0 {
		token = admin.TokenPlaceholder
	}
	ci := consoleIntegration{Slug: in.Slug, Preset: in.Preset, URLTemplate: admin.PostbackTemplate(s.Config.PublicURL, in, token), Open: in.Open}
	for _, t := range in.Tokens {
		ci.Tokens = append(ci.Tokens, consoleToken{ID: t.ID, Masked: admin.MaskToken(t.Secret), CreatedAt: t.CreatedAt})
	}
	return ci
}

// shownToken is a token just created or rotated: shown in full on that one
// answer, with the postback URL template that carries it.
type shownToken struct {
	Slug, Token, URLTemplate string
	Rotated                  bool // beside older tokens, which keep working
}

type postbackView struct {
	ID                                    int64
	ReceivedAt                            time.Time
	Integration, Method, Outcome          string
	TransactionID, Error, Note, Failed    string
	RawQuery, RawBody, SourceIP, Workflow string
	Canonical                             string
	Applied                               bool
}

func newPostbackView(e store.LogEntry) postbackView {
	v := postbackView{ID: e.ID, ReceivedAt: e.ReceivedAt, Integration: e.Integration, Method: e.Method, Outcome: e.Outcome,
		TransactionID: e.TransactionID, Error: e.Error, Note: e.Note, Failed: e.FailedReason, RawQuery: e.RawQuery,
		RawBody: e.RawBody, SourceIP: e.SourceIP, Workflow: e.WorkflowID, Applied: e.ProcessedAt != nil}
	if len(e.Canonical) > 0 {
		var pretty any
		if json.Unmarshal(e.Canonical, &pretty) == nil {
			if b, err := json.MarshalIndent(pretty, "", "  "); err == nil {
				v.Canonical = string(b)
			}
		}
	}
	return v
}

type deliveryView struct {
	ID                                int64
	ConversionID                      int64
	Destination, Type, Kind, Status   string
	TransactionID, EventID, LastError string
	Attempts, LastCode                int
	UpdatedAt                         time.Time
}

func newDeliveryView(d store.Delivery) deliveryView {
	return deliveryView{ID: d.ID, ConversionID: d.ConversionID, Destination: d.DestinationName, Type: d.DestinationType, Kind: d.Kind,
		Status: d.Status, TransactionID: d.TransactionID, EventID: d.EventID, LastError: d.LastError, Attempts: d.Attempts,
		LastCode: d.LastCode, UpdatedAt: d.UpdatedAt}
}

// sortFailedFirst puts failed deliveries first, then pending, newest first within.
func sortFailedFirst(ds []deliveryView) {
	rank := map[string]int{"failed": 0, "pending": 1}
	sort.SliceStable(ds, func(i, j int) bool {
		ri, ok := rank[ds[i].Status]
		if !ok {
			ri = 2
		}
		rj, ok := rank[ds[j].Status]
		if !ok {
			rj = 2
		}
		return ri < rj
	})
}

type conversionView struct {
	ID                                   int64
	TransactionID, Status, EventName     string
	Value, Currency, Integration         string
	ClickID, TrafficSource, Unattributed string
	Attributed, Deleted                  bool
	ConvertedAt                          time.Time
	WorkflowID, WorkflowURL              string
	Email                                string // masked by the admin layer for roles without personal data
	AccountValue, Rate, RateDate         string // "" while the rate is not known
	History                              []historyView
	Deliveries                           []deliveryView
}

type historyView struct {
	At              time.Time
	From, To, Value string
	PostbackID      int64
}

func (s *Console) newConversionView(c store.Conversion) conversionView {
	v := conversionView{ID: c.ID, TransactionID: c.TransactionID, Status: c.Status, EventName: c.EventName, Value: c.Value.String(),
		Currency: c.Currency, Integration: c.Integration, ClickID: c.ClickID, TrafficSource: c.TrafficSource,
		Unattributed: c.UnattributedReason, Attributed: c.Attributed, Deleted: c.DeletedAt != nil, ConvertedAt: c.ConvertedAt,
		WorkflowID: c.WorkflowID, Email: postbackEmail(c.Postback)}
	if c.ValueAccount != nil && c.AccountCurrency != nil {
		v.AccountValue = c.ValueAccount.String() + " " + *c.AccountCurrency
		if c.Rate != nil {
			v.Rate = c.Rate.String()
		}
		if c.RateDate != nil {
			v.RateDate = c.RateDate.Format("2006-01-02")
		}
	}
	if s.Config.TemporalUIURL != "" {
		v.WorkflowURL = s.Config.TemporalUIURL + "/namespaces/" + url.PathEscape(s.Config.TemporalNamespace) + "/workflows/" + url.PathEscape(c.WorkflowID)
	}
	for _, h := range c.History {
		from := h.From
		if from == "" {
			from = "none"
		}
		hv := historyView{At: h.At, From: from, To: h.To, Value: h.Value.String()}
		if h.PostbackID != nil {
			hv.PostbackID = *h.PostbackID
		}
		v.History = append(v.History, hv)
	}
	for _, d := range c.Deliveries {
		v.Deliveries = append(v.Deliveries, newDeliveryView(d))
	}
	return v
}

type campaignView struct {
	ID                                   int64
	Name, OfferURL, TrackingURL, Payout  string
	TrafficSource, TrafficSourcePostback string
}

type destinationView struct {
	ID                           int64
	Type, Name, Endpoint, FireOn string
	Events                       []string // life events it receives
	Enabled                      bool
	Config                       []configField
}

// Receives says whether the destination takes a life event.
func (d destinationView) Receives(e string) bool {
	for _, x := range d.Events {
		if x == e {
			return true
		}
	}
	return false
}

type configField struct{ Name, Value string }

// postbackEmail is the email a conversion's stored postback carries ("" when none).
func postbackEmail(raw []byte) string {
	var pb struct {
		Email  string `json:"email"`
		Traits struct {
			Email string `json:"email"`
		} `json:"traits"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &pb) != nil {
		return ""
	}
	if pb.Email != "" {
		return pb.Email
	}
	return pb.Traits.Email
}
