package admin

import (
	"net/url"
	"strings"

	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// TokenPlaceholder stands for the token in a template shown after creation.
const TokenPlaceholder = "{token}"

// IntegrationURL is where a network sends an integration's postbacks.
func IntegrationURL(publicURL string, in store.Integration) string {
	if in.Slug == "pb" {
		return publicURL + "/" + in.AccountID + "/pb"
	}
	return publicURL + "/" + in.AccountID + "/collect/" + in.Slug
}

// PostbackTemplate is the URL a network is given, with token= when there is one
// (the token itself only in the answer that made it, else TokenPlaceholder).
func PostbackTemplate(publicURL string, in store.Integration, token string) string {
	tmpl := postback.PostbackURLTemplate(IntegrationURL(publicURL, in), postback.Integration{Preset: in.Preset, FieldMap: in.FieldMap})
	if token == "" {
		return tmpl
	}
	sep := "?"
	if strings.Contains(tmpl, "?") {
		sep = "&"
	}
	if token != TokenPlaceholder { // the placeholder reads as the template's other macros
		token = url.QueryEscape(token)
	}
	return tmpl + sep + "token=" + token
}

// MaskToken keeps a few leading characters of a token, at most a sixth of it
// (so a short chosen token keeps almost nothing), and marks the rest cut.
func MaskToken(t string) string {
	r := []rune(t)
	return string(r[:min(7, len(r)/6)]) + "…"
}
