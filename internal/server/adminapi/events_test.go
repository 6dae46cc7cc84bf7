package adminapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// feedGet sends GET path with token and returns the status, the revision header and the
// decoded page (or error).
func (e *adminEnv) feedGet(token, path string) (int, string, api.EventPage, api.Error) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var page api.EventPage
	var ae api.Error
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(raw, &page); err != nil {
			e.t.Fatalf("GET %s: %s: %v", path, raw, err)
		}
	} else {
		_ = json.Unmarshal(raw, &ae)
	}
	return resp.StatusCode, resp.Header.Get(api.HeaderRevision), page, ae
}

// writeRevision sends an admin API write and returns its X-Rolecall-Revision.
func (e *adminEnv) writeRevision(method, path, body string) int64 {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		e.t.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, raw)
	}
	rev, err := strconv.ParseInt(resp.Header.Get(api.HeaderRevision), 10, 64)
	if err != nil {
		e.t.Fatalf("%s %s: %s = %q", method, path, api.HeaderRevision, resp.Header.Get(api.HeaderRevision))
	}
	return rev
}

func eventTypes(evs []events.CloudEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = strings.TrimPrefix(ev.Type, "com.rolecall.")
	}
	return out
}

// TestEventFeed is the feed end to end over HTTP: writes answer their revision, the feed
// answers them in order as valid CloudEvents, resumes from a cursor, filters by type,
// long-polls until a write commits, refuses bad and expired cursors, and an events token
// reads its own org's feed and nothing else.
func TestEventFeed(t *testing.T) {
	adminBackends(t, func(t *testing.T, e *adminEnv) {
		rev1 := e.writeRevision("POST", "/api/v1/clouds", `{"name":"prod"}`)
		rev2 := e.writeRevision("POST", "/api/v1/projects", `{"name":"billing","cloud":"prod"}`)
		if rev2 != rev1+1 {
			t.Errorf("revisions %d then %d, want consecutive", rev1, rev2)
		}

		status, hdr, page, _ := e.feedGet(e.token, "/api/v1/events")
		if status != 200 || hdr != strconv.FormatInt(rev2, 10) || page.Revision != hdr || page.Next != hdr {
			t.Fatalf("GET /events = %d, header %q, page next %q revision %q; want revision %d", status, hdr, page.Next, page.Revision, rev2)
		}
		n := len(page.Events)
		if n < 2 || eventTypes(page.Events)[n-2] != "resource.created" || page.Events[n-1].Revision != strconv.FormatInt(rev2, 10) {
			t.Fatalf("feed %q", eventTypes(page.Events))
		}
		for _, ce := range page.Events {
			if err := events.Validate(ce); err != nil || ce.OrgID != e.orgID {
				t.Errorf("event %+v: %v", ce, err)
			}
		}

		// Resume from a cursor; filter by type (the cursor still moves past the others).
		e.writeRevision("POST", "/api/v1/service-accounts", `{"name":"bot"}`)
		rev4 := e.writeRevision("PATCH", "/api/v1/projects/billing", `{"name":"payments"}`)
		_, _, page, _ = e.feedGet(e.token, "/api/v1/events?after="+strconv.FormatInt(rev2, 10))
		if got := eventTypes(page.Events); strings.Join(got, " ") != "service_account.created resource.renamed" {
			t.Errorf("after %d: %q", rev2, got)
		}
		_, _, page, _ = e.feedGet(e.token, "/api/v1/events?types=resource.renamed,com.rolecall.user.deleted&after="+strconv.FormatInt(rev2, 10))
		if got := eventTypes(page.Events); strings.Join(got, " ") != "resource.renamed" || page.Next != strconv.FormatInt(rev4, 10) {
			t.Errorf("types filter: %q next %s", got, page.Next)
		}
		_, _, page, _ = e.feedGet(e.token, "/api/v1/events?limit=1&after="+strconv.FormatInt(rev2, 10))
		if len(page.Events) != 1 || page.Next != strconv.FormatInt(rev2+1, 10) {
			t.Errorf("limit 1: %d events, next %s", len(page.Events), page.Next)
		}

		// Long-poll: the answer comes as soon as a matching write commits.
		type result struct {
			page api.EventPage
			at   time.Time
		}
		done := make(chan result, 1)
		go func() {
			_, _, p, _ := e.feedGet(e.token, "/api/v1/events?wait=20s&types=resource.created&after="+strconv.FormatInt(rev4, 10))
			done <- result{p, time.Now()}
		}()
		time.Sleep(300 * time.Millisecond)
		e.writeRevision("POST", "/api/v1/service-accounts", `{"name":"not-matching"}`) // filtered out: keeps waiting
		select {
		case r := <-done:
			t.Fatalf("long-poll answered a non-matching write: %q", eventTypes(r.page.Events))
		case <-time.After(300 * time.Millisecond):
		}
		e.writeRevision("POST", "/api/v1/clouds", `{"name":"staging"}`)
		wrote := time.Now()
		select {
		case r := <-done:
			if got := eventTypes(r.page.Events); strings.Join(got, " ") != "resource.created" {
				t.Errorf("long-poll answered %q", got)
			}
			if d := r.at.Sub(wrote); d > time.Second {
				t.Errorf("long-poll answered %s after the write, want < 1s", d)
			}
			t.Logf("long-poll answered %s after the write", r.at.Sub(wrote).Round(time.Millisecond))
		case <-time.After(5 * time.Second):
			t.Fatal("long-poll did not wake on a matching write")
		}
		// A wait that times out answers an empty page that still advances.
		start := time.Now()
		status, _, page, _ = e.feedGet(e.token, "/api/v1/events?wait=300ms&types=user.deleted&after="+strconv.FormatInt(rev4, 10))
		if status != 200 || len(page.Events) != 0 || page.Next == strconv.FormatInt(rev4, 10) || time.Since(start) < 250*time.Millisecond {
			t.Errorf("timed-out wait: %d, %d events, next %s after %s", status, len(page.Events), page.Next, time.Since(start))
		}

		// Bad requests say what to send.
		for _, q := range []string{"after=abc", "after=-1", "after=99999", "types=user.exploded", "limit=0", "limit=10001", "wait=forever", "wait=2m"} {
			if status, _, _, ae := e.feedGet(e.token, "/api/v1/events?"+q); status != 400 || ae.Code != api.CodeBadRequest || ae.Message == "" {
				t.Errorf("?%s = %d %+v, want 400", q, status, ae)
			}
		}

		// Isolation, and the events scope: org B's events token sees B's feed only, and may
		// call nothing else.
		ctx := context.Background()
		svc := service.New(e.st)
		orgB, tokB, err := svc.CreateOrgWithToken(ctx, "beta", api.CreateTokenRequest{Name: "feed", Scope: "events"})
		if err != nil {
			t.Fatal(err)
		}
		status, _, page, _ = e.feedGet(tokB.Secret, "/api/v1/events")
		if status != 200 || len(page.Events) != 1 || page.Events[0].OrgID != orgB.ID || page.Events[0].Type != string(events.TokenCreated) {
			t.Errorf("org B's feed: %d %+v", status, page.Events)
		}
		if status, _, _, _ = e.feedGet(tokB.Secret, "/api/v1/events?after=1&wait=0s"); status != 200 {
			t.Errorf("org B after 1: %d", status)
		}
		if status, _, _, _ = e.feedGet(tokB.Secret, "/api/v1/events?after="+strconv.FormatInt(rev4, 10)); status != 400 {
			t.Errorf("org B reading at org A's cursor: %d, want 400 (ahead of B's feed)", status)
		}
		for _, path := range []string{"/api/v1/clouds", "/api/v1/audit", "/api/v1/tokens"} {
			if status, _, _, ae := e.feedGet(tokB.Secret, path); status != 403 || !strings.Contains(ae.Message, "events") {
				t.Errorf("events token on %s: %d %q, want 403", path, status, ae.Message)
			}
		}

		// Expired: once retention deleted events, a cursor before them is 410; omitting
		// the cursor starts at the oldest retained one.
		if err := e.st.Update(ctx, func(tx store.Tx) error {
			_, err := tx.DeleteEventsBefore(ctx, e.orgID, time.Now().Add(time.Hour), 2)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		status, _, _, ae := e.feedGet(e.token, "/api/v1/events?after=0")
		if status != 410 || ae.Code != api.CodeCursorExpired || !strings.Contains(ae.Message, "no longer retained") {
			t.Errorf("expired cursor: %d %+v, want 410 cursor_expired", status, ae)
		}
		status, _, page, _ = e.feedGet(e.token, "/api/v1/events")
		if status != 200 || len(page.Events) == 0 || page.Events[0].Revision != "3" {
			t.Errorf("from the oldest retained: %d, first %+v", status, page.Events)
		}
	})
}
