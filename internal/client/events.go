package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
)

// EventQuery selects a page of the change feed (GET /api/v1/events).
type EventQuery struct {
	// After is the cursor (a page's Next, or an event's Revision); nil starts at the oldest
	// retained event.
	After *int64
	// Types keeps only these event types, full or short (user.deactivated).
	Types []string
	// Limit caps the events answered (0: the server's default, 100).
	Limit int
	// Wait long-polls: an answer that would be empty is held until a matching event commits
	// or Wait (at most a minute) has passed.
	Wait time.Duration
}

// Events reads a page of the org's change feed. An events-scope token may call it (and
// nothing else); an expired cursor is an *api.Error with Code api.CodeCursorExpired.
func (c *Client) Events(ctx context.Context, q EventQuery) (api.EventPage, error) {
	v := url.Values{}
	if q.After != nil {
		v.Set("after", strconv.FormatInt(*q.After, 10))
	}
	if len(q.Types) > 0 {
		v.Set("types", strings.Join(q.Types, ","))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Wait > 0 {
		v.Set("wait", q.Wait.String())
	}
	var p api.EventPage
	return p, c.do(ctx, http.MethodGet, "/api/v1/events", v, nil, &p)
}
