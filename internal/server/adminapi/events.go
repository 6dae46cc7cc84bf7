package adminapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/service"
)

// eventRoutes registers the change feed (docs/events.md): an events-scope token may call it
// and nothing else; an admin token may call it too.
func (s *API) eventRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/events", s.cfg.AuthenticateEvents(s.listEvents))
}

// listEvents answers GET /api/v1/events?after=&types=&limit=&wait=: the org's change events
// after the cursor, and the next cursor; with wait, an empty answer is held until a matching
// event commits or wait has passed.
func (s *API) listEvents(w http.ResponseWriter, r *http.Request) {
	q, err := feedQuery(r)
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	ctx := r.Context()
	if s.cfg.Stopping != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(s.cfg.Stopping, cancel)()
	}
	page, err := s.svc.Events(ctx, orgOf(r), q)
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	out := api.EventPage{Events: make([]events.CloudEvent, len(page.Events)),
		Next: strconv.FormatInt(page.Next, 10), Revision: strconv.FormatInt(page.Revision, 10)}
	for i, e := range page.Events {
		out.Events[i] = events.Encode(s.cfg.BaseURL, e)
	}
	// The feed's position is the revision a read may answer (api.HeaderRevision).
	w.Header().Set(api.HeaderRevision, out.Revision)
	s.answer(w, r, http.StatusOK, out, nil)
}

// feedQuery reads the feed's query parameters.
func feedQuery(r *http.Request) (service.FeedQuery, error) {
	v := r.URL.Query()
	var q service.FeedQuery
	if a := v.Get("after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			return q, adminBadRequest("after %q is not a cursor: use the next (or an event's revision) of an earlier answer, a decimal number; omit it to start at the oldest retained event", a)
		}
		q.After = &n
	}
	if t := v.Get("types"); t != "" {
		types, err := service.ParseEventTypes(t)
		if err != nil {
			return q, err
		}
		q.Types = types
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return q, adminBadRequest("limit %q: use a number from 1 to 10000", l)
		}
		q.Limit = n
	}
	if wt := v.Get("wait"); wt != "" {
		d, err := time.ParseDuration(wt)
		if err != nil {
			// Plain seconds, as in Retry-After.
			n, nerr := strconv.Atoi(strings.TrimSpace(wt))
			if nerr != nil {
				return q, adminBadRequest("wait %q: use a duration such as 30s (at most %s)", wt, service.MaxFeedWait)
			}
			d = time.Duration(n) * time.Second
		}
		q.Wait = d
	}
	return q, nil
}
