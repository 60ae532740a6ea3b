package destinations

import "strings"

// secretKeys are the config keys never shown in full. Keys that merely look
// secret (…_token, …_secret, password) are masked too, so a new integration
// setting does not leak by default.
var secretKeys = map[string]bool{
	"access_token":    true,
	"api_secret":      true,
	"secret":          true,
	"developer_token": true,
}

// IsSecretKey tells the config keys whose values are secrets: masked when shown,
// sealed at rest.
func IsSecretKey(k string) bool {
	k = strings.ToLower(k)
	return secretKeys[k] || strings.HasSuffix(k, "_token") || strings.HasSuffix(k, "_secret") ||
		strings.Contains(k, "password") || k == "api_key"
}

// Redact returns a copy of cfg safe to show or log: secrets keep only their
// last 4 characters. Short secrets are masked entirely, since their last 4
// characters would be most of the secret.
func Redact(cfg map[string]string) map[string]string {
	if cfg == nil {
		return nil
	}
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		if IsSecretKey(k) && v != "" {
			v = maskSecret(v)
		}
		out[k] = v
	}
	return out
}

func maskSecret(v string) string {
	r := []rune(v)
	if len(r) < 8 {
		return "****"
	}
	return "****" + string(r[len(r)-4:])
}
