package console_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/webhook"
)

// uiReceiver is a real webhook receiver that verifies signatures with the secrets it holds.
type uiReceiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	secrets []string
	status  int
	ids     []string // webhook-ids of verified deliveries
	refused int
}

func newUIReceiver(t *testing.T) *uiReceiver {
	rx := &uiReceiver{status: http.StatusNoContent}
	rx.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rx.mu.Lock()
		defer rx.mu.Unlock()
		v, err := webhook.NewVerifier(rx.secrets...)
		if err == nil {
			_, err = v.Verify(r.Header, body)
		}
		if err != nil {
			rx.refused++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		rx.ids = append(rx.ids, r.Header.Get(webhook.HeaderID))
		w.WriteHeader(rx.status)
	}))
	t.Cleanup(rx.srv.Close)
	return rx
}

func (rx *uiReceiver) set(status int, secrets ...string) {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	rx.status = status
	if secrets != nil {
		rx.secrets = secrets
	}
}

func (rx *uiReceiver) counts() (verified, refused int) {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	return len(rx.ids), rx.refused
}

var (
	uiSecretField = regexp.MustCompile(`id="secret" class="secret" type="text" readonly value="(whsec_[^"]+)"`)
	uiWebhookPage = regexp.MustCompile(`^/ui/webhooks/([^/]+)$`)
)

// TestUIWebhooks: add an endpoint (its secret shown on exactly one page view), send a test
// event that the receiver verifies, see it in the delivery log, redeliver it, disable and
// enable, rotate the secret, change the settings, refusals in words, delete after a
// confirmation page; every change audited with the console's token, every form CSRF-checked.
func TestUIWebhooks(t *testing.T) {
	e := newUIEnvConfig(t, server.Config{WebhookAllowPrivate: true})
	csrf := e.mustSignIn()
	rx := newUIReceiver(t)

	page := e.get("/ui/webhooks")
	wantAll(t, "empty list", page.body, `href="/ui/webhooks" aria-current="page"`, "No endpoints yet.", `action="/ui/webhooks"`)

	// CSRF: a form from elsewhere changes nothing.
	if r := e.post("/ui/webhooks", url.Values{"csrf": {"forged"}, "url": {rx.srv.URL}}); r.status != http.StatusForbidden {
		t.Fatalf("forged add = %d", r.status)
	}

	// Refusals keep the form and say why.
	r := e.post("/ui/webhooks", url.Values{"csrf": {csrf}, "url": {"ftp://example.com/x"}, "description": {"kept"}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "Nothing was changed") || !strings.Contains(r.body, `value="kept"`) {
		t.Fatalf("bad URL = %d:\n%s", r.status, r.body)
	}
	r = e.post("/ui/webhooks", url.Values{"csrf": {csrf}, "url": {rx.srv.URL}, "types": {"user.exploded"}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "user.exploded") {
		t.Fatalf("bad type = %d:\n%s", r.status, r.body)
	}

	// Add: redirected to the endpoint's page, which shows the secret once.
	r = e.post("/ui/webhooks", url.Values{"csrf": {csrf}, "url": {rx.srv.URL + "/hooks"}, "types": {"resource.created, grant.created"}, "description": {"platform cache"}})
	m := uiWebhookPage.FindStringSubmatch(r.location())
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("add = %d → %q\n%s", r.status, r.location(), r.body)
	}
	id, here := m[1], r.location()
	page = e.get(here)
	// html/template writes a + of the base64 as &#43; in the attribute; a browser reads it back.
	secret := html.UnescapeString(e.field(uiSecretField, page.body))
	wantAll(t, "new endpoint", page.body, "only time it is shown", "com.rolecall.resource.created", "com.rolecall.grant.created", "platform cache",
		`<span class="badge ok">enabled</span>`, "No delivery attempts yet.")
	if again := e.get(here); strings.Contains(again.body, "whsec_") {
		t.Fatal("the secret is shown a second time")
	}
	if ev := e.lastAudit(audit.ActionWebhookCreate); ev.Actor != uiTestTokenName || ev.TargetID != id {
		t.Errorf("add audited as %+v", ev)
	}
	wantAll(t, "list", e.get("/ui/webhooks").body, rx.srv.URL+"/hooks", "platform cache", `<span class="badge ok">enabled</span>`)

	// Send test: the receiver verifies it with the secret; the banner says how it went.
	rx.set(http.StatusNoContent, secret)
	r = e.post(here+"/test", url.Values{"csrf": {csrf}})
	e.followFlash(r, here, "Sent a test event: HTTP 204")
	rx.set(http.StatusInternalServerError)
	r = e.post(here+"/test", url.Values{"csrf": {csrf}})
	e.followFlash(r, here, "Sent a test event: HTTP 500")
	rx.set(http.StatusNoContent)
	if v, bad := rx.counts(); v != 2 || bad != 0 {
		t.Fatalf("receiver verified %d, refused %d; want 2, 0", v, bad)
	}
	page = e.get(here)
	wantAll(t, "delivery log", page.body, "com.rolecall.webhook.test", `<span class="badge ok">delivered</span>`, `<span class="badge warn">retry</span>`, "(manual)")

	// A change, then its event redelivered from the log's form.
	r = e.post("/ui/clouds", url.Values{"csrf": {csrf}, "name": {"hook-cloud"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create cloud = %d", r.status)
	}
	evID, evRev := e.lastEvent(t)
	// Not in this endpoint's log yet: by id it is not found, by revision it is sent.
	r = e.post(here+"/redeliver", url.Values{"csrf": {csrf}, "event": {evID}})
	e.followFlash(r, here, "is not in webhook")
	r = e.post(here+"/redeliver", url.Values{"csrf": {csrf}, "event": {strconv.FormatInt(evRev, 10)}})
	e.followFlash(r, here, "Redelivered event "+evID+": HTTP 204")
	// Now in the log, its row's button redelivers it by id.
	r = e.post(here+"/redeliver", url.Values{"csrf": {csrf}, "event": {evID}})
	e.followFlash(r, here, "Redelivered event "+evID+": HTTP 204")
	rx.mu.Lock()
	last := rx.ids[len(rx.ids)-1]
	rx.mu.Unlock()
	if last != evID {
		t.Errorf("redelivery's webhook-id %q, want the event's id %q", last, evID)
	}
	wantAll(t, "log after redelivery", e.get(here).body, "com.rolecall.resource.created", `aria-label="Redeliver event `+evID+`"`)
	wantAll(t, "log filtered by event", e.get(here+"?event="+evID).body, "com.rolecall.resource.created")
	if strings.Contains(e.get(here+"?event="+evID).body, "com.rolecall.webhook.test") {
		t.Error("the event filter keeps other events' attempts")
	}
	r = e.post(here+"/redeliver", url.Values{"csrf": {csrf}})
	e.followFlash(r, here, "Nothing was sent")

	// Disable, enable.
	r = e.post(here+"/enabled", url.Values{"csrf": {csrf}, "enabled": {"off"}})
	e.followFlash(r, here, "Disabled the endpoint")
	wantAll(t, "disabled", e.get("/ui/webhooks").body, `<span class="badge bad">disabled: admin</span>`)
	r = e.post(here+"/enabled", url.Values{"csrf": {csrf}, "enabled": {"on"}})
	e.followFlash(r, here, "Enabled the endpoint")

	// Settings: every type again, a new description.
	r = e.post(here, url.Values{"csrf": {csrf}, "url": {rx.srv.URL + "/hooks"}, "types": {""}, "description": {"all of it"}})
	e.followFlash(r, here, "Saved the endpoint&#39;s settings.")
	wantAll(t, "settings", e.get(here).body, "every type", "all of it")
	if ev := e.lastAudit(audit.ActionWebhookUpdate); ev.Actor != uiTestTokenName {
		t.Errorf("update audited as %+v", ev)
	}

	// Rotate: a new secret, shown once; both sign for a while.
	r = e.post(here+"/rotate", url.Values{"csrf": {csrf}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("rotate = %d", r.status)
	}
	page = e.get(here)
	newSecret := html.UnescapeString(e.field(uiSecretField, page.body))
	if newSecret == secret {
		t.Fatal("rotation kept the secret")
	}
	wantAll(t, "rotated", page.body, "Rotated the signing secret", "Previous secret")
	rx.set(http.StatusNoContent, newSecret)
	e.followFlash(e.post(here+"/test", url.Values{"csrf": {csrf}}), here, "Sent a test event: HTTP 204")
	if ev := e.lastAudit(audit.ActionWebhookSecretRotate); ev.Actor != uiTestTokenName {
		t.Errorf("rotation audited as %+v", ev)
	}

	// Delete: a confirmation page, then gone.
	wantAll(t, "delete page", e.get(here+"/delete").body, "Yes, delete this endpoint", rx.srv.URL+"/hooks")
	r = e.post(here+"/delete", url.Values{"csrf": {csrf}})
	e.followFlash(r, "/ui/webhooks", "Deleted the endpoint")
	if got := e.get(here); got.status != http.StatusNotFound {
		t.Errorf("deleted endpoint's page = %d", got.status)
	}
	if ev := e.lastAudit(audit.ActionWebhookDelete); ev.Actor != uiTestTokenName || ev.TargetID != id {
		t.Errorf("delete audited as %+v", ev)
	}
}

// lastEvent is the id and revision of the org's newest change event.
func (e *uiEnv) lastEvent(t *testing.T) (string, int64) {
	t.Helper()
	ctx := context.Background()
	var id string
	var seq int64
	err := e.st.View(ctx, func(tx store.Tx) error {
		rev, err := tx.Revision(ctx, e.orgID)
		if err != nil {
			return err
		}
		page, err := tx.EventsAfter(ctx, e.orgID, store.EventQuery{After: rev - 1, Limit: 1})
		if err != nil {
			return err
		}
		if len(page.Events) != 1 {
			return fmt.Errorf("%d events at revision %d", len(page.Events), rev)
		}
		id, seq = page.Events[0].ID, page.Events[0].Seq
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id, seq
}
