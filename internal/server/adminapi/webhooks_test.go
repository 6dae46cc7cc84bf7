package adminapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
	"github.com/rolecall/rolecall/internal/testenv"
	"github.com/rolecall/rolecall/webhook"
)

// hookReceiver is a real HTTP receiver that verifies each delivery's signature with the
// secrets it is given and records what it got.
type hookReceiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	ver *webhook.Verifier
	got []receivedHook
	// status answers deliveries (0: 204).
	status int
}

type receivedHook struct {
	ID, Type string
	Sigs     int
	Err      error
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		var ce struct{ Type string }
		_ = json.Unmarshal(body, &ce)
		rh := receivedHook{Type: ce.Type, Sigs: len(strings.Fields(r.Header.Get("webhook-signature")))}
		if h.ver == nil {
			rh.Err = fmt.Errorf("no secret yet")
		} else {
			rh.ID, rh.Err = h.ver.Verify(r.Header, body)
		}
		h.got = append(h.got, rh)
		if h.status != 0 {
			w.WriteHeader(h.status)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) setSecrets(t *testing.T, secrets ...string) {
	v, err := webhook.NewVerifier(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.ver = v
	h.mu.Unlock()
}

func (h *hookReceiver) last() receivedHook {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got[len(h.got)-1]
}

func TestWebhooksAPI(t *testing.T) {
	testenv.Each(t, testenv.Options{AdminToken: adminTestToken, Config: server.Config{WebhookAllowPrivate: true}}, func(t *testing.T, env *testenv.Env) {
		e := &adminEnv{t: t, st: env.Store, url: env.URL, orgID: env.OrgID, token: env.AdminToken}
		recv := newHookReceiver(t)

		// Bad input: a clear 400, nothing stored.
		for _, bad := range []struct {
			req  api.CreateWebhookRequest
			want string
		}{
			{api.CreateWebhookRequest{}, "give the endpoint's URL"},
			{api.CreateWebhookRequest{URL: "ftp://x.example"}, "use https://"},
			{api.CreateWebhookRequest{URL: "https://u:p@x.example"}, "credentials"},
			{api.CreateWebhookRequest{URL: recv.srv.URL, Types: []string{"user.exploded"}}, "unknown event type"},
		} {
			code, raw := e.do(e.token, http.MethodPost, "/api/v1/webhooks", bad.req, nil)
			if code != http.StatusBadRequest || !strings.Contains(string(raw), bad.want) {
				t.Errorf("create %+v = %d %s; want 400 mentioning %q", bad.req, code, raw, bad.want)
			}
		}

		var created api.CreatedWebhook
		e.must(http.StatusCreated, http.MethodPost, "/api/v1/webhooks",
			api.CreateWebhookRequest{URL: recv.srv.URL, Description: "platform", Types: []string{"user.created", "com.rolecall.grant.created"}}, &created)
		id := created.Endpoint.ID
		if !strings.HasPrefix(created.Secret, webhook.SecretPrefix) || !created.Endpoint.Enabled ||
			strings.Join(created.Endpoint.Types, ",") != "com.rolecall.user.created,com.rolecall.grant.created" {
			t.Fatalf("created = %+v", created)
		}
		raw := e.must(http.StatusOK, http.MethodGet, "/api/v1/webhooks/"+id, nil, nil)
		if strings.Contains(string(raw), created.Secret) || strings.Contains(string(raw), "whsec_") {
			t.Errorf("GET shows the secret: %s", raw)
		}
		var l api.List[api.WebhookEndpoint]
		e.must(http.StatusOK, http.MethodGet, "/api/v1/webhooks", nil, &l)
		if l.Total != 1 || l.Items[0].ID != id {
			t.Errorf("list = %+v", l)
		}

		// Test delivery: signed with the secret shown once, logged as manual.
		recv.setSecrets(t, created.Secret)
		var tr api.WebhookTestResult
		e.must(http.StatusOK, http.MethodPost, "/api/v1/webhooks/"+id+"/test", nil, &tr)
		if got := recv.last(); got.Err != nil || got.Type != api.WebhookTestEventType || got.ID != tr.Delivery.EventID {
			t.Fatalf("receiver got %+v for test delivery %+v", got, tr.Delivery)
		}
		if tr.Delivery.Outcome != "delivered" || tr.Delivery.Status != 204 || !tr.Delivery.Manual {
			t.Errorf("test delivery = %+v", tr.Delivery)
		}

		// Rotation: the new secret is shown once; both sign for 24 hours.
		var rot api.CreatedWebhook
		e.must(http.StatusOK, http.MethodPost, "/api/v1/webhooks/"+id+"/rotate-secret", api.RotateWebhookSecretRequest{}, &rot)
		if rot.Secret == created.Secret || rot.Endpoint.PreviousSecretExpiresAt == nil {
			t.Fatalf("rotation = %+v", rot)
		}
		e.must(http.StatusOK, http.MethodPost, "/api/v1/webhooks/"+id+"/test", nil, &tr)
		if got := recv.last(); got.Err != nil || got.Sigs != 2 {
			t.Errorf("after rotation (old secret in the receiver) got %+v, want verified with 2 signatures", got)
		}
		recv.setSecrets(t, rot.Secret)
		e.must(http.StatusOK, http.MethodPost, "/api/v1/webhooks/"+id+"/rotate-secret", api.RotateWebhookSecretRequest{ExpirePreviousNow: true}, &rot)
		e.must(http.StatusOK, http.MethodPost, "/api/v1/webhooks/"+id+"/test", nil, &tr)
		if got := recv.last(); got.Err == nil || got.Sigs != 1 {
			t.Errorf("previous secret expired now: receiver with it got %+v, want a failed verification with 1 signature", got)
		}
		recv.setSecrets(t, rot.Secret)

		// Redeliver an event by revision: make one (a cloud: not in the filter, still
		// redeliverable by revision) and send it now.
		e.must(http.StatusCreated, http.MethodPost, "/api/v1/clouds", api.CreateCloudRequest{Name: "c1"}, nil)
		var ep api.WebhookEndpoint
		e.must(http.StatusOK, http.MethodGet, "/api/v1/webhooks/"+id, nil, &ep)
		var rr api.RedeliverResult
		e.must(http.StatusOK, http.MethodPost, "/api/v1/webhooks/"+id+"/redeliver", api.RedeliverRequest{Revision: ep.Revision}, &rr)
		if rr.Delivery == nil || rr.Delivery.EventSeq != ep.Revision || rr.Delivery.Outcome != "delivered" || recv.last().Type != "com.rolecall.resource.created" {
			t.Errorf("redeliver = %+v, receiver last %+v", rr.Delivery, recv.last())
		}
		// Again by its event id (found through the log).
		e.must(http.StatusOK, http.MethodPost, "/api/v1/webhooks/"+id+"/redeliver", api.RedeliverRequest{EventID: rr.Delivery.EventID}, &rr)
		if rr.Delivery.Attempt != 2 || recv.last().ID != rr.Delivery.EventID {
			t.Errorf("second redelivery = %+v", rr.Delivery)
		}
		for _, bad := range []api.RedeliverRequest{{}, {Revision: 1, EventID: "x"}, {FromRevision: ptr(ep.Cursor + 5)}} {
			if code, raw := e.do(e.token, http.MethodPost, "/api/v1/webhooks/"+id+"/redeliver", bad, nil); code != http.StatusBadRequest {
				t.Errorf("redeliver %+v = %d %s, want 400", bad, code, raw)
			}
		}
		if code, raw := e.do(e.token, http.MethodPost, "/api/v1/webhooks/"+id+"/redeliver", api.RedeliverRequest{Revision: ep.Revision + 10}, nil); code != http.StatusNotFound {
			t.Errorf("redeliver a future revision = %d %s, want 404", code, raw)
		}
		// Replay from revision 0 moves the cursor back.
		e.must(http.StatusOK, http.MethodPost, "/api/v1/webhooks/"+id+"/redeliver", api.RedeliverRequest{FromRevision: ptr(int64(0))}, &rr)
		if rr.Endpoint == nil || rr.Endpoint.Cursor != 0 {
			t.Errorf("replay = %+v", rr)
		}

		// The log, newest first, paged.
		var page api.WebhookDeliveries
		e.must(http.StatusOK, http.MethodGet, "/api/v1/webhooks/"+id+"/deliveries?limit=2", nil, &page)
		if len(page.Items) != 2 || page.Next == 0 || page.Items[0].ID <= page.Items[1].ID {
			t.Fatalf("log page = %+v", page)
		}
		before := page.Next
		page = api.WebhookDeliveries{}
		e.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/webhooks/%s/deliveries?before=%d", id, before), nil, &page)
		if len(page.Items) != 3 || page.Next != 0 {
			t.Errorf("second page has %d lines (want 3: five sends in all), next %d", len(page.Items), page.Next)
		}

		// PATCH: disable (audited webhook.disabled), change types, enable.
		f := false
		e.must(http.StatusOK, http.MethodPatch, "/api/v1/webhooks/"+id, api.UpdateWebhookRequest{Enabled: &f, Types: &[]string{}}, &ep)
		if ep.Enabled || ep.DisabledReason != "admin" || len(ep.Types) != 0 {
			t.Errorf("after disabling: %+v", ep)
		}
		if code, raw := e.do(e.token, http.MethodPatch, "/api/v1/webhooks/"+id, api.UpdateWebhookRequest{URL: ptr("http://[::1]:x/")}, nil); code != http.StatusBadRequest {
			t.Errorf("bad URL patch = %d %s", code, raw)
		}
		var actions []string
		e.st.View(context.Background(), func(tx store.Tx) error {
			evs, _, err := tx.ListAudit(context.Background(), e.orgID, store.AuditQuery{Page: store.Page{Limit: 100}})
			for _, a := range evs {
				if strings.HasPrefix(a.Action, "webhook.") {
					actions = append(actions, a.Action)
				}
			}
			return err
		})
		want := "webhook.disabled webhook.redelivered webhook.redelivered webhook.redelivered webhook.tested webhook.secret_rotated webhook.tested webhook.secret_rotated webhook.tested webhook.created"
		if strings.Join(actions, " ") != want {
			t.Errorf("audit, newest first:\n got %s\nwant %s", strings.Join(actions, " "), want)
		}

		// Another org cannot see it; delete removes it.
		other := newOrgB(t, e)
		if code, _ := e.do(other.token, http.MethodGet, "/api/v1/webhooks/"+id, nil, nil); code != http.StatusNotFound {
			t.Errorf("other org GET = %d, want 404", code)
		}
		e.must(http.StatusOK, http.MethodDelete, "/api/v1/webhooks/"+id, nil, nil)
		e.must(http.StatusNotFound, http.MethodGet, "/api/v1/webhooks/"+id, nil, nil)
	})
}

// TestWebhooksRefusePrivateTargets: without --webhook-allow-private a loopback endpoint is
// refused with a message naming the flag.
func TestWebhooksRefusePrivateTargets(t *testing.T) {
	env := testenv.New(t, sqltest.SQLiteDSN(t), testenv.Options{AdminToken: adminTestToken})
	e := &adminEnv{t: t, st: env.Store, url: env.URL, orgID: env.OrgID, token: env.AdminToken}
	for _, u := range []string{"http://127.0.0.1:9/hook", "http://localhost/hook", "https://10.1.2.3/", "http://[fe80::1]/", "http://169.254.169.254/latest/meta-data"} {
		code, raw := e.do(e.token, http.MethodPost, "/api/v1/webhooks", api.CreateWebhookRequest{URL: u}, nil)
		if code != http.StatusBadRequest || !strings.Contains(string(raw), "--webhook-allow-private") {
			t.Errorf("create %s = %d %s; want 400 naming --webhook-allow-private", u, code, raw)
		}
	}
	var l api.List[api.WebhookEndpoint]
	e.must(http.StatusOK, http.MethodGet, "/api/v1/webhooks", nil, &l)
	if l.Total != 0 {
		t.Errorf("%d endpoints stored after refusals", l.Total)
	}
}

func ptr[T any](v T) *T { return &v }
