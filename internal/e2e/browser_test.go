package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/convrelay/convrelay/internal/devstack"
)

// TestBrowserShowsConversionInTemporalUI drives a real headless Chromium through the
// embedded Temporal Web UI: it runs the TransactionId query for a conversion the test
// has just created, finds the conversion's row with the UI's Status (Running) and our
// ConversionStatus search attribute (approved), then opens the workflow from that row
// and finds ConversionStatus in its Search Attributes tab. Screenshots of both pages
// are kept as artifacts.
func TestBrowserShowsConversionInTemporalUI(t *testing.T) {
	chrome := findChromium(t)
	artifacts := artifactDir(t)

	st := startStack(t, t.TempDir(), devstack.Options{UIPort: -1}, nil)
	code, body := st.call("GET", mustPath(st.info.SampleURL), "", "")
	wfID, _ := body["workflow_id"].(string)
	if code != http.StatusOK || body["status"] != "accepted" || wfID == "" {
		t.Fatalf("sample postback answered %d %v", code, body)
	}
	eventually(t, "conversion T1 recorded as approved", 30*time.Second, func() error {
		if cs := st.conversions("T1"); len(cs) != 1 || cs[0]["status"] != "approved" {
			return fmt.Errorf("conversions = %v", cs)
		}
		return nil
	})
	// Visibility is eventually consistent; the UI reads the same index.
	st.waitWorkflow(t, `TransactionId="T1" AND ConversionStatus="approved"`, wfID)

	b := startBrowser(t, chrome, artifacts)
	const query = `TransactionId="T1"`
	listURL := st.info.TemporalUI + "/namespaces/default/workflows?query=" + url.QueryEscape(query)
	t.Logf("opening %s", listURL)

	// The UI keeps the chosen list columns in localStorage under this key; set it
	// before the app's own scripts run, so the list shows our search attributes as a
	// user who had added those columns would see them.
	columns := `[{"label":"Status","pinned":true},{"label":"Workflow ID","pinned":true},` +
		`{"label":"ConversionStatus","pinned":false},{"label":"TransactionId","pinned":false},` +
		`{"label":"Type","pinned":false},{"label":"Start","pinned":false}]`
	preset := `try { localStorage.setItem('namespace-workflow-table-columns', ` +
		strconv.Quote(`{"default":`+columns+`}`) + `); } catch (e) {}`
	b.do("open the workflows list", 60*time.Second,
		chromedp.EmulateViewport(1440, 900),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument,
				page.AddScriptToEvaluateOnNewDocumentParams{Source: preset})
			return err
		}),
		chromedp.Navigate(listURL),
	)

	row := poll[uiRow](b, "the row of "+wfID+" in the list for "+query, 90*time.Second, findRowJS, wfID)
	t.Logf("row %s: Status %s, ConversionStatus %s, TransactionId %s", wfID, row.Status, row.ConversionStatus, row.TransactionID)
	if !strings.EqualFold(row.Status, "Running") {
		b.fail("row of %s shows status %q, want Running", wfID, row.Status)
	}
	if row.ConversionStatus != "approved" || row.TransactionID != "T1" {
		b.fail("row of %s shows ConversionStatus %q, TransactionId %q; want approved, T1",
			wfID, row.ConversionStatus, row.TransactionID)
	}
	t.Logf("screenshot: %s", b.screenshot("temporal-ui-workflows.png"))

	// Open the workflow from its row, as a user would, and read its search attributes.
	b.do("open the workflow from its row", 60*time.Second,
		chromedp.Click(chromedp.CSS(`tr[data-testid="workflows-summary-configurable-table-row"] a[href=`+strconv.Quote(row.Href)+`]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="search-attributes-tab"]`)),
	)
	lines := poll[[]string](b, "ConversionStatus in the Search Attributes tab of "+wfID, 60*time.Second, searchAttributesJS)
	var gotStatus, gotTx bool
	for _, l := range lines {
		l = strings.TrimSuffix(strings.TrimSpace(l), ",")
		gotStatus = gotStatus || l == `"ConversionStatus": "approved"`
		gotTx = gotTx || l == `"TransactionId": "T1"`
	}
	if !gotStatus || !gotTx {
		b.fail("Search Attributes tab of %s lacks ConversionStatus approved or TransactionId T1: %q", wfID, lines)
	}
	t.Logf("screenshot: %s", b.screenshot("temporal-ui-search-attributes.png"))
}

// uiRow is what findRowJS reads from the workflows list.
type uiRow struct {
	Href             string `json:"href"`
	Status           string `json:"status"`
	ConversionStatus string `json:"conversionStatus"`
	TransactionID    string `json:"transactionId"`
}

// findRowJS finds the list row whose Workflow ID link is the given id and reads its
// cells by their column headers; it returns null until the row is rendered.
const findRowJS = `(id) => {
	const cell = (tr, label) => {
		const th = document.querySelector('th[data-testid="workflows-summary-table-header-cell-' + label + '"]');
		const td = th && tr.cells[th.cellIndex];
		return td ? td.textContent.trim() : '';
	};
	for (const tr of document.querySelectorAll('tr[data-testid="workflows-summary-configurable-table-row"]')) {
		const a = Array.from(tr.querySelectorAll('a[href]')).find((a) => a.textContent.trim() === id);
		if (!a || a.getBoundingClientRect().height === 0) continue;
		const status = tr.querySelector('[data-testid="execution-status"]');
		return {
			href: a.getAttribute('href'),
			status: status ? status.textContent.trim() : '',
			conversionStatus: cell(tr, 'ConversionStatus'),
			transactionId: cell(tr, 'TransactionId'),
		};
	}
	return null;
}`

// searchAttributesJS returns the lines of the Search Attributes JSON view once it
// shows ConversionStatus.
const searchAttributesJS = `() => {
	const view = document.querySelector('[aria-label="Search Attributes"]');
	if (!view) return null;
	const lines = Array.from(view.querySelectorAll('.cm-line')).map((l) => l.textContent);
	return lines.some((l) => l.includes('"ConversionStatus"')) ? lines : null;
}`

// findChromium returns the browser binary. Without one the test skips, except
// under CI, whose script installs it.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "no Chromium: install the Debian package chromium (apt-get install -y chromium)"
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal(msg + "; CI installs it, so under CI this is a failure")
	}
	t.Skip(msg)
	return ""
}

// artifactDir is $CONVRELAY_ARTIFACTS, or artifacts/ at the repository root.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CONVRELAY_ARTIFACTS")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		root := wd
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				t.Fatalf("no go.mod above %s", wd)
			}
			root = parent
		}
		dir = filepath.Join(root, "artifacts")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is one headless Chromium with a fresh profile and one tab.
type browser struct {
	t         *testing.T
	ctx       context.Context
	artifacts string
	out       *lockedBuffer
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func startBrowser(t *testing.T, chrome, artifacts string) *browser {
	t.Helper()
	// Not t.TempDir: Chromium's helper processes can still write to the profile for
	// a moment after the browser exits, and t.TempDir's cleanup fails the test then.
	profile, err := os.MkdirTemp("", "convrelay-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for os.RemoveAll(profile) != nil && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
	})
	for _, stale := range []string{"temporal-ui-failure.png", "temporal-ui-failure.html"} {
		os.Remove(filepath.Join(artifacts, stale))
	}
	out := &lockedBuffer{}
	// The whole browser part of the test has this long.
	root, stop := context.WithTimeout(context.Background(), 5*time.Minute)
	actx, cancelAlloc := chromedp.NewExecAllocator(root,
		chromedp.ExecPath(chrome),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox, // root in CI containers
		chromedp.Flag("disable-gpu", true),
		// This network is closed: no update checks, sync, QUIC or other background calls.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1440, 900),
		chromedp.CombinedOutput(out),
	)
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	b := &browser{t: t, ctx: ctx, artifacts: artifacts, out: out}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit
		stop()
	})
	// The first action starts the browser; it gets the long-lived context, because
	// the browser lives as long as the context of that first action.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v\nbrowser output:\n%s", chrome, err, out)
	}
	return b
}

// do runs steps with a timeout and fails the test, with a screenshot, on error.
func (b *browser) do(what string, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail("%s: %v", what, err)
	}
}

// poll waits until the JavaScript function fn, called with args, returns a truthy
// value, and decodes it.
func poll[T any](b *browser, what string, timeout time.Duration, fn string, args ...any) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.PollFunction[T](fn,
		chromedp.WithPollingInterval(250*time.Millisecond),
		chromedp.WithPollingTimeout(timeout),
		chromedp.WithPollingArgs(args...)))
	if err != nil {
		if errors.Is(err, chromedp.ErrPollingTimeout) {
			err = fmt.Errorf("not found within %s", timeout)
		}
		b.fail("%s: %v", what, err)
	}
	return v
}

// screenshot saves a full-page PNG in the artifact directory and returns its path.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.artifacts, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return path
}

// fail keeps what the browser shows (screenshot and HTML) and its output, then
// fails the test.
func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		path := filepath.Join(b.artifacts, "temporal-ui-failure.png")
		if os.WriteFile(path, png, 0o644) == nil {
			b.t.Logf("failure screenshot: %s", path)
		}
	}
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err == nil {
		path := filepath.Join(b.artifacts, "temporal-ui-failure.html")
		if os.WriteFile(path, []byte(html), 0o644) == nil {
			b.t.Logf("failure page: %s", path)
		}
	}
	if u, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		b.t.Logf("browser at %s", u)
	}
	if out := strings.TrimSpace(b.out.String()); out != "" {
		b.t.Logf("browser output:\n%s", out)
	}
	b.t.Fatalf(format, args...)
}
