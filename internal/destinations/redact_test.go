package destinations

import "testing"

func TestRedact(t *testing.T) {
	cfg := map[string]string{
		"pixel_id":          "1234567890",
		"access_token":      "EAABsbCS1iHgBAKZCZBZAxyz9876",
		"api_secret":        "short",
		"secret":            "whsec_abcdefgh1234",
		"developer_token":   "devtoken-WXYZ",
		"refresh_token":     "1//0gAbCdEfGhIj",
		"login_customer_id": "1112223333",
		"url":               "https://t.example.com/pb?c={click_id}",
		"empty_secret":      "",
	}
	got := Redact(cfg)
	want := map[string]string{
		"pixel_id":          "1234567890",
		"access_token":      "****9876",
		"api_secret":        "****",
		"secret":            "****1234",
		"developer_token":   "****WXYZ",
		"refresh_token":     "****GhIj",
		"login_customer_id": "1112223333",
		"url":               "https://t.example.com/pb?c={click_id}",
		"empty_secret":      "",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if cfg["access_token"] != "EAABsbCS1iHgBAKZCZBZAxyz9876" {
		t.Error("Redact changed its input")
	}
	if Redact(nil) != nil {
		t.Error("Redact(nil) should be nil")
	}
}
