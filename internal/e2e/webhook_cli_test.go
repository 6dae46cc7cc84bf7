package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/testenv"
	"github.com/rolecall/rolecall/webhook"
)

// cliHookReceiver is a platform's receiver: it verifies every delivery with the secret it
// holds and keeps the verified events in arrival order; its answer can be changed.
type cliHookReceiver struct {
	srv *httptest.Server

	mu      sync.Mutex
	secret  string
	status  int
	got     []events.CloudEvent
	ids     []string // webhook-id of each verified delivery
	refused int
}

func newCLIHookReceiver(t *testing.T) *cliHookReceiver {
	rx := &cliHookReceiver{status: http.StatusNoContent}
	rx.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rx.mu.Lock()
		defer rx.mu.Unlock()
		v, err := webhook.NewVerifier(rx.secret)
		if err == nil {
			_, err = v.Verify(r.Header, body)
		}
		if err != nil {
			rx.refused++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if rx.status != http.StatusNoContent {
			http.Error(w, http.StatusText(rx.status), rx.status)
			return
		}
		var ce events.CloudEvent
		if err := json.Unmarshal(body, &ce); err != nil {
			http.Error(w, "not a CloudEvent", http.StatusBadRequest)
			return
		}
		rx.got = append(rx.got, ce)
		rx.ids = append(rx.ids, r.Header.Get(webhook.HeaderID))
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rx.srv.Close)
	return rx
}

func (rx *cliHookReceiver) set(status int, secret string) {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	rx.status = status
	if secret != "" {
		rx.secret = secret
	}
}

// waitFor waits (up to 15 s) until the receiver holds n verified events and returns them.
func (rx *cliHookReceiver) waitFor(t *testing.T, n int) ([]events.CloudEvent, []string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		rx.mu.Lock()
		got, ids, refused := append([]events.CloudEvent(nil), rx.got...), append([]string(nil), rx.ids...), rx.refused
		rx.mu.Unlock()
		if refused > 0 {
			t.Fatalf("%d deliveries failed verification", refused)
		}
		if len(got) >= n {
			return got, ids
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver has %d verified events after 15 s, want %d: %+v", len(got), n, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cliOf runs the real binary's CLI against p with the bootstrap admin token.
func cliOf(t *testing.T, p *testenv.Proc) func(want int, args ...string) string {
	return func(want int, args ...string) string {
		t.Helper()
		cmd := exec.Command(testenv.Binary(t), args...)
		cmd.Env = append(os.Environ(), "ROLECALL_URL="+p.URL, "ROLECALL_TOKEN="+bootstrapToken)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != want {
			t.Fatalf("rolecall %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
}

var (
	e2eWebhookAdded  = regexp.MustCompile(`Added webhook (\S+) →`)
	e2eWebhookSecret = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`)
)

// TestWebhookCLIEndToEnd: `rolecall webhook` of the real binary against `rolecall serve
// --webhook-allow-private` on SQLite and PostgreSQL, with a receiver that verifies every
// signature: changes made with the CLI arrive through the dispatcher, in order, filtered by
// type, each webhook-id the event's id; the delivery log lists them; a 410 disables the
// endpoint ("gone", audited as done by rolecall); enabled again it resumes with the event
// it had not taken; `webhook test` reports the receiver's answer.
func TestWebhookCLIEndToEnd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			p := start(t, b.dsn, "--webhook-allow-private")
			cli := cliOf(t, p)
			rx := newCLIHookReceiver(t)

			out := cli(0, "webhook", "add", rx.srv.URL+"/hooks", "--types", "resource.created,resource.deleted")
			m, secret := e2eWebhookAdded.FindStringSubmatch(out), e2eWebhookSecret.FindString(out)
			if m == nil || secret == "" {
				t.Fatalf("webhook add printed:\n%s", out)
			}
			id := m[1]
			rx.set(http.StatusNoContent, secret)

			cli(0, "cloud", "create", "c1")
			cli(0, "cloud", "create", "c2")
			cli(0, "service-account", "create", "not-delivered") // filtered out by --types
			cli(0, "cloud", "delete", "c1", "--yes")
			got, ids := rx.waitFor(t, 3)
			want := []string{"com.rolecall.resource.created", "com.rolecall.resource.created", "com.rolecall.resource.deleted"}
			last := int64(0)
			for i, ev := range got[:3] {
				rev, _ := strconv.ParseInt(ev.Revision, 10, 64)
				if ev.Type != want[i] || ids[i] != ev.ID || rev <= last {
					t.Errorf("delivery %d: %s rev %s webhook-id %s; want %s, in revision order, webhook-id = event id", i, ev.Type, ev.Revision, ids[i], want[i])
				}
				last = rev
			}

			// The dispatcher writes its log a moment after the sends (with its position).
			var log api.WebhookDeliveries
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				log = api.WebhookDeliveries{}
				if err := json.Unmarshal([]byte(cli(0, "webhook", "deliveries", id, "-o", "json")), &log); err != nil {
					t.Fatal(err)
				}
				if len(log.Items) >= 3 || time.Now().After(deadline) {
					break
				}
			}
			if len(log.Items) != 3 || log.Items[0].Manual || log.Items[0].Outcome != "delivered" || log.Items[0].EventID != got[2].ID {
				t.Errorf("delivery log: %+v", log.Items)
			}

			// 410: the endpoint is disabled, by rolecall, and says so.
			rx.set(http.StatusGone, "")
			cli(0, "cloud", "create", "c3")
			deadline := time.Now().Add(15 * time.Second)
			for !strings.Contains(cli(0, "webhook", "list"), "disabled (gone)") {
				if time.Now().After(deadline) {
					t.Fatalf("not disabled after a 410:\n%s", cli(0, "webhook", "list"))
				}
				time.Sleep(50 * time.Millisecond)
			}
			var audit struct {
				Items []struct{ Actor, Action string }
			}
			if err := json.Unmarshal([]byte(cli(0, "audit", "list", "--action", "webhook.disabled", "-o", "json")), &audit); err != nil {
				t.Fatal(err)
			}
			if len(audit.Items) != 1 || audit.Items[0].Actor != "rolecall" {
				t.Errorf("audit of the disabling: %+v", audit.Items)
			}

			// Enabled again, it resumes with c3's event, which it never took.
			rx.set(http.StatusNoContent, "")
			cli(0, "webhook", "update", id, "--enable")
			got, _ = rx.waitFor(t, 4)
			if got[3].Type != "com.rolecall.resource.created" || !strings.Contains(string(got[3].Data), "c3") {
				t.Errorf("after enabling, received %s %s", got[3].Type, got[3].Data)
			}

			if out := cli(0, "webhook", "test", id); !strings.Contains(out, "HTTP 204") {
				t.Errorf("webhook test printed %q", out)
			}
			rx.set(http.StatusServiceUnavailable, "")
			cli(1, "webhook", "test", id)
		})
	}
}
