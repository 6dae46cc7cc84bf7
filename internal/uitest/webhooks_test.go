package uitest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/webhook"
)

// TestConsoleWebhooks is an administrator wiring a receiver from the console: open Webhooks
// from the navigation, add an endpoint, copy its secret (shown once) into the receiver,
// send a test event the receiver verifies, read it in the delivery log, redeliver it,
// disable the endpoint, and delete it after the confirmation page.
func TestConsoleWebhooks(t *testing.T) {
	ctx := browser(t)
	e := newEnvConfig(t, server.Config{WebhookAllowPrivate: true})
	shot := newShots(t)

	var mu sync.Mutex
	var secret string
	verified := 0
	rx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		v, err := webhook.NewVerifier(secret)
		if err == nil {
			_, err = v.Verify(r.Header, body)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		verified++
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rx.Close)

	must(t, ctx, "sign in",
		chromedp.Navigate(e.url+"/ui/users"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Click(chromedp.CSS("form.stack button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("form.filters #q")))
	must(t, ctx, "open webhooks",
		chromedp.Click(chromedp.Search(`//nav//a[text()="Webhooks"]`)),
		chromedp.WaitVisible(chromedp.CSS("#webhook-add")))
	contains(t, "empty webhooks page", text(t, ctx, "main"), "No endpoints yet.")

	must(t, ctx, "add an endpoint",
		chromedp.SendKeys(chromedp.Search(inForm("Add an endpoint", `input[@name="url"]`)), rx.URL+"/hooks"),
		chromedp.SendKeys(chromedp.Search(inForm("Add an endpoint", `input[@name="types"]`)), "user.deactivated, grant.revoked"),
		chromedp.SendKeys(chromedp.Search(inForm("Add an endpoint", `input[@name="description"]`)), "session killer"),
		chromedp.Click(chromedp.Search(inForm("Add an endpoint", "button"))),
		banner("Added the endpoint"))
	got, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#secret")))
	if err != nil || !strings.HasPrefix(got, "whsec_") {
		t.Fatalf("secret field: %q, %v", got, err)
	}
	mu.Lock()
	secret = got
	mu.Unlock()
	contains(t, "new endpoint", text(t, ctx, "main"), "com.rolecall.user.deactivated", "session killer", "enabled")
	shot.take(ctx, "20-webhook-added")

	must(t, ctx, "send a test event",
		chromedp.Click(chromedp.Search(`//button[text()="Send test event"]`)),
		banner("Sent a test event: HTTP 204"))
	contains(t, "delivery log", text(t, ctx, "table.deliveries"), "com.rolecall.webhook.test", "204", "delivered", "(manual)")
	if s, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#secret").length`)); s != 0 {
		t.Error("the secret is still on the page after another action")
	}
	shot.take(ctx, "21-webhook-log")

	must(t, ctx, "disable it",
		chromedp.Click(chromedp.Search(`//button[text()="Disable"]`)),
		banner("Disabled the endpoint"))
	contains(t, "disabled endpoint", text(t, ctx, "main h1"), "disabled: admin")

	must(t, ctx, "delete it",
		chromedp.Click(chromedp.Search(`//a[contains(., "Delete…")]`)),
		chromedp.WaitVisible(chromedp.CSS("form.stack button.danger")),
		chromedp.Click(chromedp.CSS("form.stack button.danger")),
		banner("Deleted the endpoint"))
	contains(t, "after delete", text(t, ctx, "main"), "No endpoints yet.")
	mu.Lock()
	defer mu.Unlock()
	if verified != 1 {
		t.Errorf("the receiver verified %d deliveries, want 1 (the test)", verified)
	}
}
