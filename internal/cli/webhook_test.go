package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/testenv"
	"github.com/rolecall/rolecall/webhook"
)

// receiver is a real HTTP receiver of webhooks: it verifies every delivery with the secrets
// it holds (as a platform would, with the webhook package) and records what it got.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	secrets []string
	status  int
	got     []delivered
	refused int // deliveries whose signature did not verify
}

type delivered struct {
	id, typ string
	sigs    int // signatures in webhook-signature
}

func newReceiver(t *testing.T) *receiver {
	rx := &receiver{t: t, status: http.StatusNoContent}
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
		var ce events.CloudEvent
		if err := json.Unmarshal(body, &ce); err != nil {
			http.Error(w, "not a CloudEvent", http.StatusBadRequest)
			return
		}
		rx.got = append(rx.got, delivered{id: r.Header.Get(webhook.HeaderID), typ: ce.Type,
			sigs: len(strings.Fields(r.Header.Get(webhook.HeaderSignature)))})
		if rx.status != http.StatusNoContent {
			http.Error(w, "receiver says "+http.StatusText(rx.status), rx.status)
			return
		}
		w.WriteHeader(rx.status)
	}))
	t.Cleanup(rx.srv.Close)
	return rx
}

func (rx *receiver) set(status int, secrets ...string) {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	rx.status = status
	if secrets != nil {
		rx.secrets = secrets
	}
}

func (rx *receiver) received() ([]delivered, int) {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	return append([]delivered(nil), rx.got...), rx.refused
}

var (
	webhookAddedRE  = regexp.MustCompile(`Added webhook (\S+) →`)
	webhookSecretRE = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`)
	latencyRE       = regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|ms|s)\b`)
	spacesRE        = regexp.MustCompile(` {2,}`)
)

// webhookStable is adminStable plus what a webhook transcript has of its own: secrets and
// latencies. Latencies vary in width, so the tables are aligned again afterwards: each run
// of lines with a two-space column gap is one table.
func webhookStable(s string) string {
	s = adminStable(webhookSecretRE.ReplaceAllString(s, "whsec_<secret>"))
	s = latencyRE.ReplaceAllString(s, "<latency>")
	var out strings.Builder
	var block []string
	flush := func() {
		tw := tabwriter.NewWriter(&out, 0, 0, 2, ' ', 0)
		for _, l := range block {
			fmt.Fprintln(tw, strings.Join(spacesRE.Split(l, -1), "\t"))
		}
		tw.Flush()
		block = block[:0]
	}
	for _, l := range strings.SplitAfter(s, "\n") {
		if line := strings.TrimSuffix(l, "\n"); spacesRE.MatchString(strings.TrimLeft(line, " ")) {
			block = append(block, line)
			continue
		}
		flush()
		out.WriteString(l)
	}
	flush()
	return out.String()
}

// webhookBackends is cliBackends with a server that lets webhooks reach this machine's
// receivers (serve --webhook-allow-private).
func webhookBackends(t *testing.T, fn func(t *testing.T, e *cliEnv)) {
	testenv.Each(t, testenv.Options{AdminToken: cliTestToken, Config: server.Config{WebhookAllowPrivate: true}}, func(t *testing.T, env *testenv.Env) {
		fn(t, fromTestenv(t, env))
	})
}

// TestWebhookCLI is an admin's session with `rolecall webhook` against a real server and a
// real receiver that verifies every signature: add (secret shown once), list, show, test
// (delivered; then refused by the receiver: exit 1), redeliver an event from the feed,
// the delivery log (text and JSON), disable and enable, rotate the secret (two signatures
// while the old one lives), delete (asks; --yes), and the refusals in words.
func TestWebhookCLI(t *testing.T) {
	webhookBackends(t, func(t *testing.T, e *cliEnv) {
		rx := newReceiver(t)
		tr := &transcript{e: e}

		out := tr.do(0, "webhook", "add", rx.srv.URL+"/hooks", "--types", "resource.created,grant.created", "--description", "platform cache")
		m, secret := webhookAddedRE.FindStringSubmatch(out), webhookSecretRE.FindString(out)
		if m == nil || secret == "" || !strings.Contains(out, "it will not be shown again") {
			t.Fatalf("webhook add printed:\n%s", out)
		}
		id := m[1]
		rx.set(http.StatusNoContent, secret)
		tr.do(0, "webhook", "list")
		tr.do(0, "webhook", "show", id)

		// The secret is never shown again.
		if out, _, _ := e.run("webhook", "show", id, "-o", "json"); strings.Contains(out, "whsec_") {
			t.Errorf("show -o json prints a secret:\n%s", out)
		}

		// test: delivered, verified; then the receiver fails it: exit 1, in words.
		tr.do(0, "webhook", "test", id)
		rx.set(http.StatusServiceUnavailable)
		tr.do(1, "webhook", "test", id)
		rx.set(http.StatusNoContent)
		got, refused := rx.received()
		if len(got) != 2 || got[0].typ != api.WebhookTestEventType || refused != 0 {
			t.Fatalf("receiver got %+v, refused %d", got, refused)
		}

		// A change, and its event redelivered by id, with the event's id as webhook-id.
		tr.do(0, "cloud", "create", "lab-cloud")
		feed, errOut, code := e.run("events", "tail", "--types", "resource.created", "-o", "json")
		evs := decodeLines(t, feed)
		if code != 0 || len(evs) != 1 {
			t.Fatalf("events tail: %d %s %s", code, feed, errOut)
		}
		// Never sent to this endpoint, the event is named by its revision; once in the log,
		// by its id too.
		tr.do(1, "webhook", "redeliver", id, "--event", evs[0].ID)
		tr.do(0, "webhook", "redeliver", id, "--revision", evs[0].Revision)
		tr.do(0, "webhook", "redeliver", id, "--event", evs[0].ID)
		got, _ = rx.received()
		if last := got[len(got)-1]; last.id != evs[0].ID || last.typ != "com.rolecall.resource.created" || got[len(got)-2].id != evs[0].ID {
			t.Errorf("redeliveries arrived as %+v, want webhook-id %s twice", got, evs[0].ID)
		}

		tr.do(0, "webhook", "deliveries", id, "--event", evs[0].ID)
		jsonOut, _, code := e.run("webhook", "deliveries", id, "-o", "json")
		var log api.WebhookDeliveries
		if err := json.Unmarshal([]byte(jsonOut), &log); err != nil || code != 0 {
			t.Fatalf("deliveries -o json: %v\n%s", err, jsonOut)
		}
		tests := 0
		for _, d := range log.Items {
			if d.EventType == api.WebhookTestEventType {
				tests++
				if !d.Manual || (d.Status != 204 && d.Status != 503) {
					t.Errorf("test attempt logged as %+v", d)
				}
			}
		}
		if tests != 2 {
			t.Errorf("log has %d test attempts, want 2: %+v", tests, log.Items)
		}

		// Disable, enable.
		tr.do(0, "webhook", "update", id, "--disable")
		tr.do(0, "webhook", "update", id, "--enable", "--types", "")

		// Rotation: the receiver that holds only the new secret verifies, and so would
		// one that holds only the old: both sign for 24 hours.
		out = tr.do(0, "webhook", "rotate-secret", id)
		newSecret := webhookSecretRE.FindString(out)
		if newSecret == "" || newSecret == secret {
			t.Fatalf("rotate-secret printed:\n%s", out)
		}
		rx.set(http.StatusNoContent, newSecret)
		tr.do(0, "webhook", "test", id)
		rx.set(http.StatusNoContent, secret)
		if _, errOut, code := e.run("webhook", "test", id); code != 0 {
			t.Errorf("the old secret no longer verifies during the rotation: %s", errOut)
		}
		got, refused = rx.received()
		if last := got[len(got)-1]; last.sigs != 2 || refused != 0 {
			t.Errorf("during a rotation: %d signatures, %d refused; want 2 and 0", last.sigs, refused)
		}

		// Refusals in words; nothing half-written.
		tr.do(1, "webhook", "add", "ftp://example.com/hooks")
		tr.do(1, "webhook", "add", rx.srv.URL, "--types", "user.exploded")
		tr.do(1, "webhook", "update", id)
		tr.do(1, "webhook", "redeliver", id)
		tr.do(1, "webhook", "show", "00000000-0000-0000-0000-000000000000")

		// Delete asks first; a script must say --yes.
		tr.do(2, "webhook", "delete", id)
		if _, _, code := e.runIn(&tty{r: strings.NewReader("n\n")}, "webhook", "delete", id); code != 1 {
			t.Errorf("delete answered no: exit %d, want 1", code)
		}
		tr.do(0, "webhook", "delete", id, "--yes")
		tr.do(0, "webhook", "list")

		adminGolden(t, "webhook.golden", webhookStable(strings.ReplaceAll(tr.buf.String(), rx.srv.URL, "http://RECEIVER")))
	})
}

// TestWebhookCLIRefusesPrivateAddresses: a server started without --webhook-allow-private
// refuses an endpoint on a loopback or private address, or localhost, with a message that
// names the flag, and stores nothing.
func TestWebhookCLIRefusesPrivateAddresses(t *testing.T) {
	e := newCLIEnv(t)
	for _, u := range []string{"http://127.0.0.1:9/hooks", "https://10.1.2.3/hooks", "http://169.254.169.254/latest", "http://localhost:8080/x"} {
		_, errOut, code := e.run("webhook", "add", u)
		if code != 1 || !strings.Contains(errOut, "--webhook-allow-private") {
			t.Errorf("webhook add %s: exit %d, %q; want 1 and a message naming --webhook-allow-private", u, code, errOut)
		}
	}
	out, _, code := e.run("webhook", "list", "-o", "json")
	var l api.List[api.WebhookEndpoint]
	if err := json.Unmarshal([]byte(out), &l); err != nil || code != 0 || l.Total != 0 {
		t.Errorf("after refusals, list = %d %s (%v)", code, out, err)
	}
}
