package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/store"
)

// erase is POST /v1/accounts/{account}/erasure {"email"|"click_id"|"ref_id"}:
// removes or anonymises everything about one person in the account and answers
// how many rows of each table it changed. The request is logged with its kind
// and counts, never the value.
func (s *server) erase(c *gin.Context) {
	var req struct {
		Email   string `json:"email"`
		ClickID string `json:"click_id"`
		RefID   string `json:"ref_id"`
	}
	if !bindJSON(c, &req) {
		return
	}
	var kind, value string
	given := 0
	for _, f := range []struct{ kind, value string }{
		{store.EraseEmail, req.Email}, {store.EraseClickID, req.ClickID}, {store.EraseRefID, req.RefID},
	} {
		if f.value != "" {
			kind, value = f.kind, f.value
			given++
		}
	}
	if given != 1 {
		fail(c, http.StatusUnprocessableEntity, "give exactly one of email, click_id or ref_id")
		return
	}
	counts, err := s.Store.Erase(c.Request.Context(), c.Param("account"), kind, value)
	if err != nil {
		s.failErr(c, "erasure", err)
		return
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	s.Logger.Info("personal data erased", "account_id", c.Param("account"), "by", kind, "rows", total, "tables", counts)
	c.JSON(http.StatusOK, gin.H{"erased_by": kind, "rows": counts})
}
