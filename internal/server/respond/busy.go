package respond

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/rolecall/rolecall/internal/api"
)

// BusyRetryAfter is the Retry-After of a 429 or 503 answer that names no wait of its own
// (the server's middleware adds it): long enough for a scan or a stalled request to end,
// short enough for an identity provider's retry.
const BusyRetryAfter = 5 * time.Second

// Busy is an answer of "not now": a request refused because its organization or the server
// already runs as many expensive queries as allowed (429), or stopped by its deadline (503).
type Busy struct {
	Status int
	Code   string // admin API code
	Msg    string
}

func (e *Busy) Error() string { return e.Msg }

// AsBusy reports whether err, returned while serving r, is a *Busy, or the effect of r's
// deadline (serve --request-timeout), whatever error the database driver made of the
// interruption; it returns the answer to give.
func AsBusy(r *http.Request, err error) (*Busy, bool) {
	var b *Busy
	if errors.As(err, &b) {
		return b, true
	}
	if errors.Is(r.Context().Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return &Busy{Status: http.StatusServiceUnavailable, Code: api.CodeUnavailable,
			Msg: "the request did not finish within the server's request deadline (serve --request-timeout) and was stopped; nothing was changed. Retry later, or narrow the request"}, true
	}
	return nil, false
}
