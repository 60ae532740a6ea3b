package console

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/admin"
	"github.com/convrelay/convrelay/internal/postback"
)

// The account pages: Security (a person's second factor), Settings, CSV
// import and erasure. Each calls the admin method the API's route calls
// (admin.Settings/UpdateSettings, StartImport/Run, Erase): no second path.

const (
	// importShown bounds the row results one import page lists (the counts cover all).
	importShown = 1000
	// importMaxBytes bounds an upload from the import page (the form is read
	// whole, by the CSRF check, before the rows).
	importMaxBytes = 64 << 20
)

func (s *Console) mountAccountPages(r *gin.Engine, g *gin.RouterGroup) {
	// The upload's bound comes before the session check, which reads the form.
	r.POST(consoleBase+"/import", func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, importMaxBytes)
	}, s.consoleAuth, s.consoleImport)
	g.GET("/security", s.consoleSecurity)
	g.POST("/security/totp", s.consoleBeginTOTP)
	g.POST("/security/totp/confirm", s.consoleConfirmTOTP)
	g.POST("/security/totp/disable", s.consoleDisableTOTP)
	g.POST("/users/:id/totp/disable", s.consoleDisableTOTP)
	g.GET("/settings", s.consoleSettings)
	g.POST("/settings", s.consoleSaveSettings)
	g.GET("/import", s.consoleImportPage)
	g.GET("/erasure", s.consoleErasurePage)
	g.POST("/erasure", s.consoleErase)
}

// eeaPolicies are the choices of what to do for an EEA conversion without consent.
var eeaPolicies = []struct{ Value, Label string }{
	{"send", "send (consent not asked)"},
	{"denied", "send marked as denied"},
	{"skip", "do not send to ad platforms"},
}

func (s *Console) consoleSettings(c *gin.Context) {
	set, err := s.Admin.Settings(c.Request.Context(), consoleAccount(c))
	if err != nil {
		s.consoleError(c, "settings", err)
		return
	}
	s.renderSettings(c, http.StatusOK, set, gin.H{"Flash": c.Query("flash")})
}

func (s *Console) renderSettings(c *gin.Context, status int, set admin.Settings, data gin.H) {
	data["Title"], data["S"], data["EEA"] = "Settings", set, eeaPolicies
	data["CanChange"] = admin.Allowed(consolePrincipal(c), admin.ActChangeSetup)
	s.renderConsole(c, status, "settings", data)
}

func (s *Console) consoleSaveSettings(c *gin.Context) {
	form := func(k string) *string { v := c.PostForm(k); return &v }
	req := admin.SettingsChange{Currency: form("currency"), Timezone: form("timezone"),
		DefaultPhoneRegion: form("default_phone_region"), EEAWithoutConsent: form("eea_without_consent")}
	if _, err := s.Admin.UpdateSettings(c.Request.Context(), consoleAccount(c), req); err != nil {
		if admin.AsError(err).Kind != admin.KindInvalid {
			s.consoleError(c, "settings", err)
			return
		}
		// Show what was typed, with the message, so it can be corrected.
		s.renderSettings(c, http.StatusBadRequest, admin.Settings{Currency: *req.Currency, Timezone: *req.Timezone,
			DefaultPhoneRegion: *req.DefaultPhoneRegion, EEAWithoutConsent: *req.EEAWithoutConsent},
			gin.H{"Error": "Not saved: " + s.consoleFailure(err)})
		return
	}
	flashRedirect(c, consoleBase+"/settings", "Settings saved.")
}

func (s *Console) consoleImportPage(c *gin.Context) { s.renderImport(c, http.StatusOK, gin.H{}) }

func (s *Console) renderImport(c *gin.Context, status int, data gin.H) {
	presets := postback.Presets()
	sort.Slice(presets, func(i, j int) bool { return presets[i].Name < presets[j].Name })
	data["Title"], data["Presets"] = "CSV import", presets
	s.renderConsole(c, status, "import", data)
}

// consoleImport runs an uploaded CSV through admin's import and lists each row's fate.
func (s *Console) consoleImport(c *gin.Context) {
	fh, err := c.FormFile("file")
	if err != nil {
		s.renderImport(c, http.StatusBadRequest, gin.H{"Error": "Choose a CSV file (at most 64 MB here; larger files go to POST /v1/accounts/{account}/imports)."})
		return
	}
	opts := admin.ImportOptions{Preset: strings.TrimSpace(c.PostForm("preset"))}
	if m := strings.TrimSpace(c.PostForm("mapping")); m != "" {
		if err := json.Unmarshal([]byte(m), &opts.Mapping); err != nil || len(opts.Mapping) == 0 {
			s.renderImport(c, http.StatusBadRequest, gin.H{"Error": `The mapping must be a JSON object of parameter to CSV column, e.g. {"click_id":"Click ID"}.`})
			return
		}
	}
	f, err := fh.Open()
	if err != nil {
		s.consoleError(c, "import", err)
		return
	}
	defer f.Close()
	ctx := c.Request.Context()
	im, err := s.Admin.StartImport(ctx, consoleAccount(c), f, opts)
	if err != nil {
		if admin.AsError(err).Kind != admin.KindInvalid {
			s.consoleError(c, "import", err)
			return
		}
		s.renderImport(c, http.StatusBadRequest, gin.H{"Error": "Not imported: " + s.consoleFailure(err)})
		return
	}
	var rows []admin.ImportResult
	sum := im.Run(ctx, func(r admin.ImportResult) {
		if len(rows) < importShown {
			rows = append(rows, r)
		}
	}, func() {})
	// Rejected rows are reported as they are read, accepted ones by batch: list them in file order.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Row < rows[j].Row })
	s.renderImport(c, http.StatusOK, gin.H{"Done": true, "Sum": sum, "Rows": rows, "File": fh.Filename,
		"More": sum.Accepted+sum.Duplicates+sum.Rejected > len(rows)})
}

func (s *Console) consoleErasurePage(c *gin.Context) {
	s.renderConsole(c, http.StatusOK, "erasure", gin.H{"Title": "Erasure"})
}

// consoleErase erases one person by one identifier (admin.Erase).
func (s *Console) consoleErase(c *gin.Context) {
	kind := c.PostForm("by")
	req := admin.ErasureBy(kind, strings.TrimSpace(c.PostForm("value")))
	data := gin.H{"Title": "Erasure", "By": kind}
	if c.PostForm("confirm") != "yes" {
		data["Error"] = "Tick the box to confirm: erasure cannot be undone."
		s.renderConsole(c, http.StatusBadRequest, "erasure", data)
		return
	}
	out, err := s.Admin.Erase(c.Request.Context(), consoleAccount(c), req)
	if err != nil {
		if admin.AsError(err).Kind != admin.KindInvalid {
			s.consoleError(c, "erasure", err)
			return
		}
		data["Error"] = "Not erased: " + s.consoleFailure(err)
		s.renderConsole(c, http.StatusBadRequest, "erasure", data)
		return
	}
	// The value typed is not shown back: the page names the kind and the counts.
	tables := make([]string, 0, len(out.Rows))
	for t := range out.Rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	data["Result"], data["Tables"] = out, tables
	s.renderConsole(c, http.StatusOK, "erasure", data)
}
