package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(
		test{"Webhooks/CRUD", testWebhooksCRUD},
		test{"Webhooks/Lease", testWebhooksLease},
		test{"Webhooks/LeaseConcurrent", testWebhooksLeaseConcurrent},
		test{"Webhooks/AdvanceLostLease", testWebhooksAdvanceLostLease},
		test{"Webhooks/Rewind", testWebhooksRewind},
		test{"Webhooks/AttemptLog", testWebhooksAttemptLog},
	)
}

func newWebhook(t *testing.T, s store.Store, orgID, url string, types ...string) store.WebhookEndpoint {
	t.Helper()
	var e store.WebhookEndpoint
	update(t, s, func(tx store.Tx) error {
		var err error
		e, err = tx.CreateWebhook(bg, store.WebhookEndpoint{OrgID: orgID, URL: url, Types: types, Enabled: true,
			Secrets: []store.WebhookSecret{{Secret: "whsec_" + url}}, CreatedBy: "tester"})
		return err
	})
	return e
}

func getWebhook(t *testing.T, s store.Store, orgID, id string) store.WebhookEndpoint {
	t.Helper()
	var e store.WebhookEndpoint
	view(t, s, func(tx store.Tx) error {
		var err error
		e, err = tx.Webhook(bg, orgID, id)
		return err
	})
	return e
}

func lease(t *testing.T, s store.Store, owner string, now, until time.Time, limit int) []store.WebhookEndpoint {
	t.Helper()
	var got []store.WebhookEndpoint
	update(t, s, func(tx store.Tx) error {
		var err error
		got, err = tx.LeaseWebhooks(bg, owner, now, until, limit)
		return err
	})
	return got
}

func ids(es []store.WebhookEndpoint) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func testWebhooksCRUD(t *testing.T, s store.Store) {
	o := newOrg(t, s, "wh")
	other := newOrg(t, s, "other")
	appendEvents(t, s, o.ID, "a", "b")
	e := newWebhook(t, s, o.ID, "https://a.example/hook", "com.rolecall.user.created")
	if e.ID == "" || e.Cursor != 2 || !e.Enabled || e.CreatedAt.IsZero() || e.NextAttemptAt.IsZero() {
		t.Fatalf("created = %+v; want an id, cursor 2 (the revision), enabled", e)
	}
	got := getWebhook(t, s, o.ID, e.ID)
	if got.URL != e.URL || len(got.Types) != 1 || got.Types[0] != "com.rolecall.user.created" || got.Cursor != 2 ||
		len(got.Secrets) != 1 || got.Secrets[0].Secret != "whsec_https://a.example/hook" || got.CreatedBy != "tester" {
		t.Fatalf("read back %+v", got)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, e.CreatedAt)

	// Another org sees nothing of it.
	err := s.View(bg, func(tx store.Tx) error { _, err := tx.Webhook(bg, other.ID, e.ID); return err })
	wantErr(t, "Webhook of another org", err, store.ErrNotFound)

	// Invalid endpoints are refused.
	err = s.Update(bg, func(tx store.Tx) error {
		_, err := tx.CreateWebhook(bg, store.WebhookEndpoint{OrgID: o.ID, URL: " ", Secrets: []store.WebhookSecret{{Secret: "x"}}})
		return err
	})
	wantErr(t, "empty URL", err, store.ErrInvalid)
	err = s.Update(bg, func(tx store.Tx) error {
		_, err := tx.CreateWebhook(bg, store.WebhookEndpoint{OrgID: o.ID, URL: "https://x"})
		return err
	})
	wantErr(t, "no secret", err, store.ErrInvalid)

	second := newWebhook(t, s, o.ID, "https://b.example/hook")
	var list []store.WebhookEndpoint
	view(t, s, func(tx store.Tx) error { var err error; list, err = tx.ListWebhooks(bg, o.ID); return err })
	if fmt.Sprint(ids(list)) != fmt.Sprint([]string{e.ID, second.ID}) {
		t.Errorf("ListWebhooks = %v, want [%s %s]", ids(list), e.ID, second.ID)
	}
	if len(list[1].Types) != 0 {
		t.Errorf("an endpoint without a filter lists types %v", list[1].Types)
	}

	// WebhookOrgs: the orgs with an enabled endpoint, whatever other orgs hold.
	webhookOrgs := func() map[string]bool {
		var orgs []string
		view(t, s, func(tx store.Tx) error { var err error; orgs, err = tx.WebhookOrgs(bg); return err })
		m := map[string]bool{}
		for _, id := range orgs {
			m[id] = true
		}
		return m
	}
	quiet := newOrg(t, s, "wh-quiet")
	off := newWebhook(t, s, quiet.ID, "https://quiet.example/hook")
	if got := webhookOrgs(); !got[o.ID] || !got[quiet.ID] || got[other.ID] {
		t.Errorf("WebhookOrgs = %v: want %s and %s (enabled endpoints), not %s (none)", got, o.ID, quiet.ID, other.ID)
	}
	off.Enabled = false
	update(t, s, func(tx store.Tx) error { _, err := tx.UpdateWebhook(bg, off); return err })
	if got := webhookOrgs(); got[quiet.ID] || !got[o.ID] {
		t.Errorf("WebhookOrgs = %v after the only endpoint of %s was disabled", got, quiet.ID)
	}

	// Update: settings change, the delivery state does not; two secrets during a rotation.
	exp := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Microsecond)
	e.URL, e.Description, e.Types, e.Enabled = "https://a.example/v2", "desc", nil, false
	e.Secrets = []store.WebhookSecret{{Secret: "whsec_new"}, {Secret: "whsec_old", ExpiresAt: &exp}}
	e.Cursor = 99
	update(t, s, func(tx store.Tx) error { var err error; e, err = tx.UpdateWebhook(bg, e); return err })
	got = getWebhook(t, s, o.ID, e.ID)
	if got.URL != "https://a.example/v2" || got.Description != "desc" || len(got.Types) != 0 || got.Enabled ||
		got.DisabledReason != store.WebhookDisabledByAdmin || got.Cursor != 2 || len(got.Secrets) != 2 ||
		got.Secrets[0].Secret != "whsec_new" || got.Secrets[0].ExpiresAt != nil || got.Secrets[1].ExpiresAt == nil {
		t.Fatalf("after update: %+v", got)
	}
	sameTime(t, "secret expiry", *got.Secrets[1].ExpiresAt, exp)
	err = s.Update(bg, func(tx store.Tx) error {
		_, err := tx.UpdateWebhook(bg, store.WebhookEndpoint{OrgID: other.ID, ID: e.ID, URL: "https://x", Secrets: got.Secrets})
		return err
	})
	wantErr(t, "UpdateWebhook of another org", err, store.ErrNotFound)

	// Delete removes the endpoint and its log.
	update(t, s, func(tx store.Tx) error {
		_, err := tx.AppendWebhookAttempt(bg, store.WebhookAttempt{OrgID: o.ID, EndpointID: e.ID, Attempt: 1, Outcome: "delivered"})
		return err
	})
	update(t, s, func(tx store.Tx) error { return tx.DeleteWebhook(bg, o.ID, e.ID) })
	err = s.View(bg, func(tx store.Tx) error { _, err := tx.Webhook(bg, o.ID, e.ID); return err })
	wantErr(t, "Webhook after delete", err, store.ErrNotFound)
	err = s.Update(bg, func(tx store.Tx) error { return tx.DeleteWebhook(bg, o.ID, e.ID) })
	wantErr(t, "second delete", err, store.ErrNotFound)
	var log []store.WebhookAttempt
	view(t, s, func(tx store.Tx) error {
		var err error
		log, err = tx.WebhookAttempts(bg, o.ID, e.ID, store.WebhookAttemptQuery{})
		return err
	})
	if len(log) != 0 {
		t.Errorf("log of a deleted endpoint has %d lines", len(log))
	}
}

func testWebhooksLease(t *testing.T, s store.Store) {
	o := newOrg(t, s, "wh")
	now := time.Now().UTC()
	a := newWebhook(t, s, o.ID, "https://a")
	// Nothing to deliver: the cursor is at the revision.
	if got := lease(t, s, "w1", now.Add(time.Second), now.Add(time.Minute), 10); len(got) != 0 {
		t.Fatalf("leased %v with nothing to deliver", ids(got))
	}
	appendEvents(t, s, o.ID, "x")
	b := newWebhook(t, s, o.ID, "https://b") // created after the event: nothing to deliver
	disabled := newWebhook(t, s, o.ID, "https://c")
	disabled.Enabled = false
	update(t, s, func(tx store.Tx) error { _, err := tx.UpdateWebhook(bg, disabled); return err })
	appendEvents(t, s, o.ID, "y")

	got := lease(t, s, "w1", now.Add(time.Second), now.Add(time.Minute), 10)
	if fmt.Sprint(ids(got)) != fmt.Sprint([]string{a.ID, b.ID}) {
		t.Fatalf("leased %v, want [%s %s] (the disabled one is not leased)", ids(got), a.ID, b.ID)
	}
	if got[0].Cursor != 0 || got[1].Cursor != 1 {
		t.Errorf("leased cursors %d, %d; want 0, 1", got[0].Cursor, got[1].Cursor)
	}
	if r := getWebhook(t, s, o.ID, a.ID); r.LeaseOwner != "w1" || r.LeaseUntil.IsZero() || got[0].LeaseOwner != "w1" {
		t.Errorf("lease owner read back %q until %v (leased %q)", r.LeaseOwner, r.LeaseUntil, got[0].LeaseOwner)
	}
	if r := getWebhook(t, s, o.ID, disabled.ID); r.LeaseOwner != "" || !r.LeaseUntil.IsZero() {
		t.Errorf("a free endpoint reads lease %q until %v", r.LeaseOwner, r.LeaseUntil)
	}
	// Held leases are not given to another owner until they expire.
	if again := lease(t, s, "w2", now.Add(2*time.Second), now.Add(time.Minute), 10); len(again) != 0 {
		t.Fatalf("w2 leased %v while w1 holds them", ids(again))
	}
	// Released with a backoff: not due before NextAttemptAt.
	update(t, s, func(tx store.Tx) error {
		return tx.AdvanceWebhook(bg, o.ID, a.ID, "w1", store.WebhookProgress{Cursor: 0, Attempts: 1,
			NextAttemptAt: now.Add(10 * time.Minute), FailingSince: &now}, true)
	})
	// At +5m a is still backing off; b's lease has expired and another owner takes it.
	if again := lease(t, s, "w2", now.Add(5*time.Minute), now.Add(3*time.Hour), 10); fmt.Sprint(ids(again)) != fmt.Sprint([]string{b.ID}) {
		t.Fatalf("at +5m w2 leased %v, want [%s] (a backs off, b's lease expired)", ids(again), b.ID)
	}
	got = lease(t, s, "w3", now.Add(11*time.Minute), now.Add(12*time.Minute), 1)
	if len(got) != 1 || got[0].ID != a.ID || got[0].Attempts != 1 || got[0].FailingSince == nil {
		t.Fatalf("due again: %+v", got)
	}
	// Delivered up to the revision: not leased again.
	update(t, s, func(tx store.Tx) error {
		return tx.AdvanceWebhook(bg, o.ID, a.ID, "w3", store.WebhookProgress{Cursor: 2, NextAttemptAt: now, LastDeliveredAt: &now}, true)
	})
	if again := lease(t, s, "w4", now.Add(20*time.Minute), now.Add(21*time.Minute), 10); len(again) != 0 {
		t.Fatalf("leased %v with nothing left to deliver", ids(again))
	}
	e := getWebhook(t, s, o.ID, a.ID)
	if e.Cursor != 2 || e.Attempts != 0 || e.FailingSince != nil || e.LastDeliveredAt == nil {
		t.Errorf("after delivery: %+v", e)
	}

	// Disabling through AdvanceWebhook: disabled with the reason, lease released; enabling
	// it again by an admin makes it due at once with its attempts reset.
	appendEvents(t, s, o.ID, "z")
	got = lease(t, s, "w5", now.Add(30*time.Minute), now.Add(31*time.Minute), 10)
	if len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("leased %v, want [%s]", ids(got), a.ID)
	}
	update(t, s, func(tx store.Tx) error {
		return tx.AdvanceWebhook(bg, o.ID, a.ID, "w5", store.WebhookProgress{Cursor: 2, Attempts: 3,
			NextAttemptAt: now.Add(time.Hour), FailingSince: &now, Disable: store.WebhookDisabledGone}, false)
	})
	e = getWebhook(t, s, o.ID, a.ID)
	if e.Enabled || e.DisabledReason != store.WebhookDisabledGone || e.Attempts != 3 {
		t.Fatalf("after a 410: %+v", e)
	}
	e.Enabled = true
	update(t, s, func(tx store.Tx) error { _, err := tx.UpdateWebhook(bg, e); return err })
	e = getWebhook(t, s, o.ID, a.ID)
	if !e.Enabled || e.DisabledReason != "" || e.Attempts != 0 || e.FailingSince != nil || e.NextAttemptAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("enabled again: %+v", e)
	}
	if got = lease(t, s, "w6", time.Now().Add(time.Second), time.Now().Add(time.Minute), 10); len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("enabled again but leased %v", ids(got))
	}

	err := s.Update(bg, func(tx store.Tx) error { _, err := tx.LeaseWebhooks(bg, "", now, now, 1); return err })
	wantErr(t, "lease without owner", err, store.ErrInvalid)
}

// testWebhooksLeaseConcurrent: many callers leasing at once get disjoint endpoints.
func testWebhooksLeaseConcurrent(t *testing.T, s store.Store) {
	o := newOrg(t, s, "wh")
	const n = 12
	for i := 0; i < n; i++ {
		newWebhook(t, s, o.ID, fmt.Sprintf("https://h%d", i))
	}
	appendEvents(t, s, o.ID, "x")
	now := time.Now().UTC()
	var mu sync.Mutex
	owners := map[string]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			owner := fmt.Sprintf("worker-%d", w)
			for round := 0; round < 3; round++ {
				var got []store.WebhookEndpoint
				err := s.Update(bg, func(tx store.Tx) error {
					var err error
					got, err = tx.LeaseWebhooks(bg, owner, now.Add(time.Second), now.Add(time.Hour), 2)
					return err
				})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, e := range got {
					if prev, ok := owners[e.ID]; ok {
						errs <- fmt.Errorf("endpoint %s leased to %s and %s", e.ID, prev, owner)
					}
					owners[e.ID] = owner
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(owners) != n {
		t.Errorf("%d of %d endpoints leased", len(owners), n)
	}
}

func testWebhooksAdvanceLostLease(t *testing.T, s store.Store) {
	o := newOrg(t, s, "wh")
	e := newWebhook(t, s, o.ID, "https://a")
	appendEvents(t, s, o.ID, "x", "y")
	now := time.Now().UTC()
	if got := lease(t, s, "old", now, now.Add(time.Second), 1); len(got) != 1 {
		t.Fatalf("leased %d", len(got))
	}
	// The lease is renewed with progress: not taken while renewed.
	update(t, s, func(tx store.Tx) error {
		return tx.AdvanceWebhook(bg, o.ID, e.ID, "old", store.WebhookProgress{Cursor: 1, NextAttemptAt: now,
			RenewUntil: now.Add(time.Hour)}, false)
	})
	if got := lease(t, s, "new", now.Add(2*time.Second), now.Add(time.Hour), 1); len(got) != 0 {
		t.Fatalf("a renewed lease was taken")
	}
	// It expires and another takes it: the old owner's progress is refused.
	if got := lease(t, s, "new", now.Add(2*time.Hour), now.Add(3*time.Hour), 1); len(got) != 1 || got[0].Cursor != 1 {
		t.Fatalf("expired lease not taken over at cursor 1: %+v", got)
	}
	err := s.Update(bg, func(tx store.Tx) error {
		return tx.AdvanceWebhook(bg, o.ID, e.ID, "old", store.WebhookProgress{Cursor: 2, NextAttemptAt: now}, true)
	})
	wantErr(t, "AdvanceWebhook after losing the lease", err, store.ErrVersionMismatch)
	if got := getWebhook(t, s, o.ID, e.ID); got.Cursor != 1 {
		t.Errorf("cursor = %d after a refused advance, want 1", got.Cursor)
	}
	// An admin's update breaks the lease: the holder may not write progress (and so stops
	// sending with the old settings); the next lease reads the new ones.
	cur := getWebhook(t, s, o.ID, e.ID)
	cur.Description = "changed"
	update(t, s, func(tx store.Tx) error { _, err := tx.UpdateWebhook(bg, cur); return err })
	if got := getWebhook(t, s, o.ID, e.ID); got.LeaseOwner != "" || got.Description != "changed" || !got.UpdatedAt.After(cur.UpdatedAt) {
		t.Fatalf("after an update: lease %q, description %q, updated %v (was %v)", got.LeaseOwner, got.Description, got.UpdatedAt, cur.UpdatedAt)
	}
	err = s.Update(bg, func(tx store.Tx) error {
		return tx.AdvanceWebhook(bg, o.ID, e.ID, "new", store.WebhookProgress{Cursor: 2, NextAttemptAt: now}, true)
	})
	wantErr(t, "AdvanceWebhook after an admin's update", err, store.ErrVersionMismatch)
	if got := lease(t, s, "newer", now.Add(2*time.Hour), now.Add(3*time.Hour), 1); len(got) != 1 || got[0].Description != "changed" {
		t.Fatalf("the endpoint is not leased again with its new settings: %+v", got)
	}
	// Deleted while leased: refused the same way.
	update(t, s, func(tx store.Tx) error { return tx.DeleteWebhook(bg, o.ID, e.ID) })
	err = s.Update(bg, func(tx store.Tx) error {
		return tx.AdvanceWebhook(bg, o.ID, e.ID, "new", store.WebhookProgress{Cursor: 2, NextAttemptAt: now}, true)
	})
	wantErr(t, "AdvanceWebhook of a deleted endpoint", err, store.ErrVersionMismatch)
}

func testWebhooksRewind(t *testing.T, s store.Store) {
	o := newOrg(t, s, "wh")
	e := newWebhook(t, s, o.ID, "https://a")
	appendEvents(t, s, o.ID, "x", "y", "z")
	now := time.Now().UTC()
	lease(t, s, "w", now, now.Add(time.Hour), 1)
	update(t, s, func(tx store.Tx) error {
		return tx.AdvanceWebhook(bg, o.ID, e.ID, "w", store.WebhookProgress{Cursor: 3, NextAttemptAt: now}, false)
	})
	err := s.Update(bg, func(tx store.Tx) error { _, err := tx.RewindWebhook(bg, o.ID, e.ID, 4); return err })
	wantErr(t, "rewind forward", err, store.ErrInvalid)
	update(t, s, func(tx store.Tx) error { _, err := tx.RewindWebhook(bg, o.ID, e.ID, 1); return err })
	// The lease is broken: the dispatcher that held it cannot write its old position back.
	err = s.Update(bg, func(tx store.Tx) error {
		return tx.AdvanceWebhook(bg, o.ID, e.ID, "w", store.WebhookProgress{Cursor: 3, NextAttemptAt: now}, true)
	})
	wantErr(t, "advance after rewind", err, store.ErrVersionMismatch)
	got := lease(t, s, "w2", time.Now().Add(time.Second), time.Now().Add(time.Hour), 1)
	if len(got) != 1 || got[0].Cursor != 1 {
		t.Fatalf("after rewind leased %+v, want cursor 1", got)
	}
}

func testWebhooksAttemptLog(t *testing.T, s store.Store) {
	o := newOrg(t, s, "wh")
	e := newWebhook(t, s, o.ID, "https://a")
	other := newWebhook(t, s, o.ID, "https://b")
	old := time.Now().Add(-48 * time.Hour).UTC()
	var first store.WebhookAttempt
	update(t, s, func(tx store.Tx) error {
		for i := 1; i <= 25; i++ {
			at := time.Now().UTC()
			if i <= 5 {
				at = old
			}
			a, err := tx.AppendWebhookAttempt(bg, store.WebhookAttempt{OrgID: o.ID, EndpointID: e.ID, EventID: fmt.Sprintf("ev-%d", (i+1)/2),
				EventSeq: int64((i + 1) / 2), EventType: "t", Attempt: 2 - i%2, At: at, Latency: 1500 * time.Microsecond,
				Status: 500, Outcome: "retry", Error: "boom \x00 " + string(make([]byte, 5000)), Answer: "busy"})
			if err != nil {
				return err
			}
			if i == 1 {
				first = a
			}
		}
		_, err := tx.AppendWebhookAttempt(bg, store.WebhookAttempt{OrgID: o.ID, EndpointID: other.ID, Attempt: 1, Manual: true, Outcome: "delivered", Status: 204})
		return err
	})
	if first.ID == 0 {
		t.Fatal("no id assigned")
	}
	page := func(q store.WebhookAttemptQuery) []store.WebhookAttempt {
		var out []store.WebhookAttempt
		view(t, s, func(tx store.Tx) error { var err error; out, err = tx.WebhookAttempts(bg, o.ID, e.ID, q); return err })
		return out
	}
	p1 := page(store.WebhookAttemptQuery{Limit: 10})
	if len(p1) != 10 || p1[0].EventSeq != 13 || p1[0].ID <= p1[1].ID {
		t.Fatalf("first page: %d lines, first seq %d", len(p1), p1[0].EventSeq)
	}
	if p1[0].Latency != 1500*time.Microsecond || p1[0].Status != 500 || p1[0].Outcome != "retry" || len(p1[0].Error) > 2048 || p1[0].Answer != "busy" {
		t.Errorf("line read back as %+v", p1[0])
	}
	var all []store.WebhookAttempt
	for q := (store.WebhookAttemptQuery{Limit: 10}); ; {
		p := page(q)
		all = append(all, p...)
		if len(p) < 10 {
			break
		}
		q.Before = p[len(p)-1].ID
	}
	if len(all) != 25 || all[24].ID != first.ID {
		t.Fatalf("paged through %d lines, want 25 ending with the first", len(all))
	}
	if byEvent := page(store.WebhookAttemptQuery{EventID: "ev-3"}); len(byEvent) != 2 || byEvent[0].Attempt != 2 || byEvent[1].Attempt != 1 {
		t.Errorf("attempts of ev-3: %+v", byEvent)
	}
	err := s.View(bg, func(tx store.Tx) error {
		_, err := tx.WebhookAttempts(bg, o.ID, e.ID, store.WebhookAttemptQuery{Limit: 5000})
		return err
	})
	wantErr(t, "limit 5000", err, store.ErrInvalid)

	// Prune: only lines older than the cut, bounded by limit.
	var n int64
	update(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.DeleteWebhookAttemptsBefore(bg, time.Now().Add(-time.Hour), 3)
		return err
	})
	if n != 3 {
		t.Errorf("pruned %d with limit 3", n)
	}
	update(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.DeleteWebhookAttemptsBefore(bg, time.Now().Add(-time.Hour), 0)
		return err
	})
	if n != 2 {
		t.Errorf("pruned %d more, want 2", n)
	}
	if left := page(store.WebhookAttemptQuery{Limit: 1000}); len(left) != 20 {
		t.Errorf("%d lines left, want 20", len(left))
	}
}
