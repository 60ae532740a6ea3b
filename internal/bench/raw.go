package bench

import (
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/convrelay/convrelay/internal/store"
)

// sampleCanonical is a typical canonical postback, stored by both the raw handler
// and the real intake so both write the same row.
const sampleCanonical = `{"click_id":"abc","value":"4.99","value_alias":"commission","currency":"USD","transaction_id":"T",` +
	`"event_name":"Purchase","event_source":"automatic","status":"approved","traits":{},"params":[` +
	`{"name":"click_id","value":"abc"},{"name":"transaction_id","value":"T"},{"name":"commission","value":"4.99"}]}`

// rawServer is the physical limit of a durable accept: a bare Gin handler that
// inserts one postback_log row per request into the same PostgreSQL, and nothing else.
func rawServer(st *store.Store) (addr string, stop func(), err error) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/raw", func(c *gin.Context) {
		_, err := st.Pool.Exec(c.Request.Context(), `INSERT INTO postback_log
			(account_id, integration, method, path, raw_query, raw_body, source_ip, received_at, canonical, transaction_id, workflow_id, outcome)
			VALUES (NULL, 'raw', $1, $2, $3, '', $4, $5, $6, $7, $8, 'raw')`,
			c.Request.Method, c.Request.URL.Path, c.Request.URL.RawQuery, c.ClientIP(), time.Now(), sampleCanonical,
			c.Query("transaction_id"), "conv/raw/"+c.Query("transaction_id"))
		if err != nil {
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "accepted"})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: r}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}
