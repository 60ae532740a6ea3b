package drill

import (
	"context"
	"net/http"
	"time"
)

const (
	integrationSlug = "net"
	webhookSecret   = "drill-webhook-secret"
	clickPool       = 20
)

// env is one drill's world: its own account with a custom integration, a campaign
// whose traffic-source postback and an account webhook point at fake destinations,
// and a pool of clicks the postbacks are attributed to.
type env struct {
	name   string
	stack  *Stack
	acct   *account
	hook   *fakeDest // signed JSON webhook (account-wide)
	source *fakeDest // the campaign's traffic-source postback template
	clicks []string
	send   *sender
}

func newEnv(ctx context.Context, s *Stack, name string, latency time.Duration) (e *env, err error) {
	e = &env{name: name, stack: s}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	if e.acct, err = s.newAccount(ctx, "drill "+name); err != nil {
		return nil, err
	}
	if e.hook, err = newFakeDest("webhook", webhookSecret, latency); err != nil {
		return nil, err
	}
	if e.source, err = newFakeDest("postback", "", latency); err != nil {
		return nil, err
	}
	if err := e.acct.admin(ctx, "POST", "/integrations", map[string]any{"slug": integrationSlug, "preset": "custom", "open": true}, http.StatusCreated, nil); err != nil {
		return nil, err
	}
	var camp struct {
		ID int64 `json:"id"`
	}
	if err := e.acct.admin(ctx, "POST", "/campaigns", map[string]any{
		"name": "drill " + name, "offer_url": "https://offer.example/?c={click_id}", "traffic_source": "drill-ts",
		"traffic_source_postback": e.source.URL + "/ts?tx={transaction_id}&status={status}&payout={payout}&cid={click_id}&eid={event_id}",
		// The drill model (plan.go) expects the source told once, on the first
		// recording; campaigns default to the approval since migration 014.
		"traffic_source_fire_on": []string{"first"},
	}, http.StatusCreated, &camp); err != nil {
		return nil, err
	}
	if err := e.acct.admin(ctx, "POST", "/destinations", map[string]any{
		"type": "webhook", "name": "drill webhook", "config": map[string]string{"url": e.hook.URL + "/hook", "secret": webhookSecret},
		// The drill model (plan.go) expects the conversion once and a reversal.
		"fire_on": []string{"first", "rejected"},
	}, http.StatusCreated, nil); err != nil {
		return nil, err
	}
	for range clickPool {
		var k struct {
			ClickID string `json:"click_id"`
		}
		if err := e.acct.admin(ctx, "POST", "/clicks", map[string]any{"campaign_id": camp.ID}, http.StatusCreated, &k); err != nil {
			return nil, err
		}
		e.clicks = append(e.clicks, k.ClickID)
	}
	e.send = newSender(s.APIBase + "/" + e.acct.ID + "/collect/" + integrationSlug)
	return e, nil
}

func (e *env) click(i int) string { return e.clicks[i%len(e.clicks)] }

// step prints a progress line.
func (e *env) step(format string, args ...any) { e.stack.step(e.name+": "+format, args...) }

func (e *env) close() {
	if e.hook != nil {
		e.hook.close()
	}
	if e.source != nil {
		e.source.close()
	}
	if e.send != nil {
		e.send.client.CloseIdleConnections()
	}
}

// setupFailed is the result of a drill that could not set up its world.
func setupFailed(name string, err error) Result {
	r := Result{Name: name}
	r.problem("set up: %v", err)
	return r
}

// openAccount creates an account with an open custom integration and no
// destinations, for traffic whose deliveries the drill does not check.
func (s *Stack) openAccount(ctx context.Context, name string) (*account, error) {
	a, err := s.newAccount(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := a.admin(ctx, "POST", "/integrations", map[string]any{"slug": integrationSlug, "preset": "custom", "open": true}, http.StatusCreated, nil); err != nil {
		return nil, err
	}
	return a, nil
}
