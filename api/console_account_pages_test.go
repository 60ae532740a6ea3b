package api_test

import (
	"bytes"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// postFile posts a multipart form with one file part, the way a browser sends
// the import page's form.
func (cc *consoleClient) postFile(path string, fields map[string]string, file string) (int, string) {
	cc.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("file", "conversions.csv")
	_, _ = io.WriteString(fw, file)
	_ = w.Close()
	resp, err := cc.http.Post(cc.h.srv.URL+path, w.FormDataContentType(), &body)
	if err != nil {
		cc.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, html.UnescapeString(string(b))
}

// The settings page reads and saves through admin (the API's settings route
// sees the change; an invalid value is shown back with its message); the
// import page lists each row's fate; the erasure page erases by one identifier
// and never shows the value back; a buyer gets 403 for each.
func TestConsoleSettingsImportErasurePages(t *testing.T) {
	h := newHarness(t)
	a := h.createCampaign(`{"name":"alpha","offer_url":"https://offer.example/?c={click_id}"}`)
	h.personalConversion("TX-A", a)
	owner := newConsoleClient(t, h)
	owner.post("/console/login", url.Values{"key": {h.keyOf("owner")}})
	buyer := newConsoleClient(t, h)
	buyer.post("/console/login", url.Values{"key": {h.keyOf("buyer", a)}})
	for _, p := range []string{"/console/settings", "/console/import", "/console/erasure"} {
		if code, page, _ := owner.get(p); code != http.StatusOK || !strings.Contains(page, `name="viewport"`) {
			t.Errorf("owner opens %s: %d", p, code)
		}
		if code, _, _ := buyer.get(p); code != http.StatusForbidden {
			t.Errorf("buyer opens %s: %d, want 403", p, code)
		}
	}

	csrf := owner.csrf("/console/settings")
	form := url.Values{"csrf": {csrf}, "currency": {"dollars"}, "timezone": {"Europe/Paris"}, "default_phone_region": {"fr"}, "eea_without_consent": {"denied"}}
	if code, page, _ := owner.post("/console/settings", form); code != http.StatusBadRequest || !strings.Contains(page, "ISO 4217") || !strings.Contains(page, `value="dollars"`) {
		t.Errorf("an invalid currency: %d, want the message and the value typed:\n%s", code, page)
	}
	form.Set("currency", "gbp")
	if code, _, hdr := owner.post("/console/settings", form); code != http.StatusSeeOther {
		t.Fatalf("save settings: %d %v", code, hdr)
	}
	if code, body := statusOf(t, h, "GET", "/v1/accounts/"+h.account.ID+"/settings", "", h.keyOf("viewer")); code != http.StatusForbidden {
		t.Errorf("viewer reads settings by the API: %d %s", code, body)
	}
	code, body := statusOf(t, h, "GET", "/v1/accounts/"+h.account.ID+"/settings", "", h.keyOf("admin"))
	if code != http.StatusOK || !strings.Contains(body, `"currency":"GBP"`) || !strings.Contains(body, `"timezone":"Europe/Paris"`) ||
		!strings.Contains(body, `"default_phone_region":"FR"`) || !strings.Contains(body, `"eea_without_consent":"denied"`) {
		t.Errorf("settings by the API after the console saved them: %d %s", code, body)
	}
	if _, page, _ := owner.get("/console/audit"); !strings.Contains(page, "settings.update") {
		t.Error("the settings change is not in the audit log")
	}

	code, page := owner.postFile("/console/import", map[string]string{"csrf": owner.csrf("/console/import"), "preset": "custom",
		"mapping": importMapping}, importCSV)
	if code != http.StatusOK {
		t.Fatalf("import: %d\n%s", code, page)
	}
	for _, want := range []string{"2 accepted", "1 duplicates", "3 rejected", "Missing click_id, ref_id and email", "row has 2 columns, the header 6"} {
		if !strings.Contains(page, want) {
			t.Errorf("import page lacks %q:\n%s", want, page)
		}
	}
	if code, page := owner.postFile("/console/import", map[string]string{"csrf": owner.csrf("/console/import"), "preset": "nosuch"}, importCSV); code != http.StatusBadRequest || !strings.Contains(page, "unknown preset") {
		t.Errorf("an unknown preset: %d", code)
	}

	csrf = owner.csrf("/console/erasure")
	if code, _, _ := owner.post("/console/erasure", url.Values{"csrf": {csrf}, "by": {"email"}, "value": {"john.doe@example.com"}}); code != http.StatusBadRequest {
		t.Errorf("erasure without the confirmation box: %d, want 400", code)
	}
	code, page, _ = owner.post("/console/erasure", url.Values{"csrf": {csrf}, "by": {"email"}, "value": {"john.doe@example.com"}, "confirm": {"yes"}})
	if code != http.StatusOK || !strings.Contains(page, "Erased by email") || strings.Contains(page, "john.doe") {
		t.Errorf("erasure: %d, want the counts without the value:\n%s", code, page)
	}
}

var totpSecret = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
var challengeField = regexp.MustCompile(`name="challenge" value="([^"]+)"`)

// A person turns TOTP on from the Security page; the next sign-in asks for a
// code after the password; a wrong code is refused; the owner turns it off
// from the Users page and sign-in needs the password only again.
func TestConsoleTOTPSignIn(t *testing.T) {
	h := newHarness(t)
	code, body := statusOf(t, h, "POST", "/v1/accounts/"+h.account.ID+"/users", `{"email":"ann@example.com","role":"admin"}`, h.keyOf("owner"))
	m := inviteLink.FindStringSubmatch(body)
	if code != 201 || m == nil {
		t.Fatalf("invite: %d %s", code, body)
	}
	ann := newConsoleClient(t, h)
	ann.post("/console/invite/"+m[1], url.Values{"password": {"correct horse battery"}})
	if _, page, _ := ann.get("/console/security"); !strings.Contains(page, "Set up two-factor sign-in") {
		t.Fatalf("security page without the set-up button:\n%s", page)
	}
	csrf := ann.csrf("/console/security")
	_, page, _ := ann.post("/console/security/totp", url.Values{"csrf": {csrf}})
	s := totpSecret.FindStringSubmatch(page)
	if s == nil || !strings.Contains(html.UnescapeString(page), "otpauth://totp/Convrelay:ann@example.com?") {
		t.Fatalf("set-up page without the secret and its otpauth URL:\n%s", page)
	}
	now, _ := totp.GenerateCode(s[1], time.Now())
	if code, _, _ := ann.post("/console/security/totp/confirm", url.Values{"csrf": {csrf}, "code": {"000000"}}); code != http.StatusBadRequest {
		t.Errorf("a wrong confirmation code: %d", code)
	}
	if code, _, _ := ann.post("/console/security/totp/confirm", url.Values{"csrf": {csrf}, "code": {now}}); code != http.StatusSeeOther {
		t.Fatalf("confirm: %d", code)
	}
	ann.post("/console/logout", url.Values{"csrf": {csrf}})

	code, page, _ = ann.post("/console/login", url.Values{"email": {"ann@example.com"}, "password": {"correct horse battery"}})
	c := challengeField.FindStringSubmatch(page)
	if code != http.StatusOK || c == nil {
		t.Fatalf("sign-in with TOTP on: %d, want the code step:\n%s", code, page)
	}
	if code, _, _ := ann.get("/console/conversions"); code != http.StatusSeeOther {
		t.Errorf("signed in before the code: %d", code)
	}
	if code, _, _ := ann.post("/console/login/code", url.Values{"challenge": {c[1]}, "code": {"000000"}}); code != http.StatusUnauthorized {
		t.Errorf("a wrong code: %d, want 401", code)
	}
	next, _ := totp.GenerateCode(s[1], time.Now().Add(30*time.Second))
	if code, _, hdr := ann.post("/console/login/code", url.Values{"challenge": {c[1]}, "code": {next}}); code != http.StatusSeeOther || hdr.Get("Location") != "/console/" {
		t.Fatalf("the right code: %d %v", code, hdr)
	}
	if code, _, _ := ann.get("/console/conversions"); code != http.StatusOK {
		t.Errorf("after the code: %d, want signed in", code)
	}

	owner := newConsoleClient(t, h)
	owner.post("/console/login", url.Values{"key": {h.keyOf("owner")}})
	users, err := h.st.ListUsers(t.Context(), h.account.ID)
	if err != nil || len(users) != 1 || !users[0].TwoFactor {
		t.Fatalf("users: %+v %v, want ann with two-factor on", users, err)
	}
	id := strconv.FormatInt(users[0].ID, 10)
	if code, _, _ := owner.post("/console/users/"+id+"/totp/disable", url.Values{"csrf": {owner.csrf("/console/users")}}); code != http.StatusSeeOther {
		t.Fatalf("owner turns it off: %d", code)
	}
	if code, _, _ := newConsoleClient(t, h).post("/console/login", url.Values{"email": {"ann@example.com"}, "password": {"correct horse battery"}}); code != http.StatusSeeOther {
		t.Errorf("sign-in after the owner turned it off: %d, want straight in", code)
	}
}
