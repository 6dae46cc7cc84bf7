package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/store"
)

// The webhooks pages: the org's endpoints (status, why one is disabled, backlog, last
// delivery) with a form to add one, and one endpoint's page: its settings (URL, types,
// description; enable, disable, rotate the secret, delete after a confirmation page) and its
// delivery log, with redelivery of an event, a replay from a revision and "send test". Every
// change is a service call, audited with the console's token like the API's. A secret
// (created or rotated) is shown once, as a token's is: the POST keeps it in the session's
// memory and the endpoint's page takes it out as it renders.

// uiWebhookLogSize is how many delivery log lines the endpoint page shows per page.
const uiWebhookLogSize = 50

type uiWebhooksData struct {
	Webhooks []api.WebhookEndpoint
	// Form echoes the last refused add.
	URL, Types, Description string
}

func (c *console) webhooks(w http.ResponseWriter, r *http.Request) {
	c.showWebhooks(w, r, http.StatusOK, "", nil)
}

func (c *console) showWebhooks(w http.ResponseWriter, r *http.Request, status int, errMsg string, form *uiWebhooksData) {
	ws, err := c.cfg.Service.Webhooks(r.Context(), orgOf(r))
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	d := uiWebhooksData{Webhooks: ws}
	if form != nil {
		d.URL, d.Types, d.Description = form.URL, form.Types, form.Description
	}
	c.render(w, r, status, "webhooks", uiView{Title: "Webhooks", Nav: "webhooks", Error: errMsg, Data: d})
}

// splitTypes reads a types field: names separated by commas or white space.
func splitTypes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func (c *console) webhookCreate(w http.ResponseWriter, r *http.Request) {
	form := &uiWebhooksData{URL: strings.TrimSpace(r.PostFormValue("url")), Types: strings.TrimSpace(r.PostFormValue("types")),
		Description: strings.TrimSpace(r.PostFormValue("description"))}
	out, err := c.cfg.Service.CreateWebhook(r.Context(), orgOf(r), api.CreateWebhookRequest{URL: form.URL,
		Types: splitTypes(form.Types), Description: form.Description})
	if err != nil {
		if _, _, known := respond.Classify(err); known {
			c.showWebhooks(w, r, http.StatusBadRequest, consoleMessage(err), form)
			return
		}
		c.failErr(w, r, err)
		return
	}
	c.doneTo(w, r, webhookPage(out.Endpoint.ID), uiFlash{WebhookID: out.Endpoint.ID, Secret: out.Secret,
		Notice: "Added the endpoint. Copy its signing secret now: this is the only time it is shown."})
}

func webhookPage(id string) string { return uiPrefix + "/webhooks/" + url.PathEscape(id) }

type uiWebhookData struct {
	Webhook api.WebhookEndpoint
	// Secret is set on the one page view that shows it (after add or rotate).
	Secret string
	// Backlog is how many events (at most) are still to be delivered.
	Backlog int64
	Types   string
	Log     api.WebhookDeliveries
	// Event filters the log by event id; Older links to the next page of the log.
	Event, Older string
}

// webhook shows one endpoint and its delivery log (?event= filters, ?before= pages).
func (c *console) webhook(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("webhook")
	e, err := c.cfg.Service.Webhook(r.Context(), orgOf(r), id)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	event := strings.TrimSpace(q.Get("event"))
	log, err := c.cfg.Service.WebhookDeliveries(r.Context(), orgOf(r), e.ID, max(before, 0), event, uiWebhookLogSize)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	d := uiWebhookData{Webhook: e, Backlog: max(e.Revision-e.Cursor, 0), Types: strings.Join(e.Types, ", "), Log: log, Event: event}
	if log.Next > 0 {
		v := url.Values{"before": {strconv.FormatInt(log.Next, 10)}}
		if event != "" {
			v.Set("event", event)
		}
		d.Older = webhookPage(e.ID) + "?" + v.Encode()
	}
	view := uiView{Title: "Webhook " + e.URL, Nav: "webhooks", Data: &d}
	// The secret is in the flash only right after add or rotate; render would take the
	// flash (and drop the secret), so it is taken here.
	f := c.sessions.takeFlash(uiSessionFrom(r.Context()).key)
	if f.WebhookID == e.ID {
		d.Secret = f.Secret
	}
	view.Notice, view.Error = f.Notice, f.Error
	c.render(w, r, http.StatusOK, "webhook", view)
}

// webhookUpdate changes URL, types and description from the settings form.
func (c *console) webhookUpdate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("webhook")
	u, desc := strings.TrimSpace(r.PostFormValue("url")), strings.TrimSpace(r.PostFormValue("description"))
	types := splitTypes(r.PostFormValue("types"))
	if types == nil {
		types = []string{}
	}
	_, err := c.cfg.Service.UpdateWebhook(r.Context(), orgOf(r), id, api.UpdateWebhookRequest{URL: &u, Description: &desc, Types: &types})
	if err != nil {
		c.refusedTo(w, r, webhookPage(id), err)
		return
	}
	c.doneTo(w, r, webhookPage(id), uiFlash{Notice: "Saved the endpoint's settings."})
}

// webhookEnable turns the endpoint on (enabled=on) or off (anything else).
func (c *console) webhookEnable(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("webhook")
	on := r.PostFormValue("enabled") == "on"
	e, err := c.cfg.Service.UpdateWebhook(r.Context(), orgOf(r), id, api.UpdateWebhookRequest{Enabled: &on})
	if err != nil {
		c.refusedTo(w, r, webhookPage(id), err)
		return
	}
	msg := "Disabled the endpoint: nothing is delivered to it until it is enabled again; it keeps its place in the stream."
	if on {
		msg = "Enabled the endpoint: delivery resumes where it stopped."
		if e.Revision > e.Cursor {
			msg += fmt.Sprintf(" %d event(s) at most are waiting.", e.Revision-e.Cursor)
		}
	}
	c.doneTo(w, r, webhookPage(id), uiFlash{Notice: msg})
}

// webhookRotate gives the endpoint a new secret, shown once on its page.
func (c *console) webhookRotate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("webhook")
	now := r.PostFormValue("expirePreviousNow") == "on"
	out, err := c.cfg.Service.RotateWebhookSecret(r.Context(), orgOf(r), id, api.RotateWebhookSecretRequest{ExpirePreviousNow: now})
	if err != nil {
		c.refusedTo(w, r, webhookPage(id), err)
		return
	}
	msg := "Rotated the signing secret. Copy the new one now: this is the only time it is shown. The previous secret keeps signing deliveries until " +
		uiTime(out.Endpoint.PreviousSecretExpiresAt) + ", so the receiver can switch at its pace."
	if now || out.Endpoint.PreviousSecretExpiresAt == nil {
		msg = "Rotated the signing secret; the previous one no longer signs anything. Copy the new one now: this is the only time it is shown."
	}
	c.doneTo(w, r, webhookPage(id), uiFlash{WebhookID: id, Secret: out.Secret, Notice: msg})
}

// webhookTest sends a com.rolecall.webhook.test event now and says how the receiver answered.
func (c *console) webhookTest(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("webhook")
	out, err := c.cfg.Service.SendTestWebhook(r.Context(), orgOf(r), id)
	if err != nil {
		c.refusedTo(w, r, webhookPage(id), err)
		return
	}
	c.doneTo(w, r, webhookPage(id), deliveryFlash("Sent a test event", out.Delivery))
}

// deliveryFlash words one synchronous attempt (a test or a redelivery) as a banner: a notice
// when delivered, an error otherwise.
func deliveryFlash(what string, d api.WebhookDelivery) uiFlash {
	answer := "no answer"
	if d.Status != 0 {
		answer = "HTTP " + strconv.Itoa(d.Status)
	}
	msg := fmt.Sprintf("%s: %s in %s, %s.", what, answer, uiLatency(d.LatencyMS), d.Outcome)
	if d.Error != "" {
		msg += " " + d.Error
	}
	if d.Outcome == "delivered" {
		return uiFlash{Notice: msg}
	}
	return uiFlash{Error: msg}
}

// uiLatency shows a latency in milliseconds with a sensible precision.
func uiLatency(ms float64) string {
	if ms < 10 {
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
}

// webhookRedeliver sends one event again now (event=ID or a revision), or replays every event after a
// revision (fromRevision=N) through the ordered stream.
func (c *console) webhookRedeliver(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("webhook")
	page := webhookPage(id)
	var req api.RedeliverRequest
	event, from := strings.TrimSpace(r.PostFormValue("event")), strings.TrimSpace(r.PostFormValue("fromRevision"))
	switch {
	case event != "" && from != "":
		c.doneTo(w, r, page, uiFlash{Error: "Nothing was sent: redeliver one event, or replay from a revision, not both."})
		return
	case event != "":
		// A number is a revision (from the feed); anything else an event id (from the log).
		if n, err := strconv.ParseInt(event, 10, 64); err == nil {
			req.Revision = n
		} else {
			req.EventID = event
		}
	case from != "":
		n, err := strconv.ParseInt(from, 10, 64)
		if err != nil || n < 0 {
			c.doneTo(w, r, page, uiFlash{Error: "Nothing was changed: the revision to replay from is a whole number (0 replays every retained event)."})
			return
		}
		req.FromRevision = &n
	default:
		c.doneTo(w, r, page, uiFlash{Error: "Nothing was sent: give the event to redeliver (its id or its revision), or a revision to replay from."})
		return
	}
	out, err := c.cfg.Service.Redeliver(r.Context(), orgOf(r), id, req)
	if err != nil {
		c.refusedTo(w, r, page, err)
		return
	}
	switch {
	case out.Delivery != nil:
		c.doneTo(w, r, page, deliveryFlash("Redelivered event "+out.Delivery.EventID, *out.Delivery))
	default:
		c.doneTo(w, r, page, uiFlash{Notice: "Replaying every retained event after revision " + from + ", in order: they are delivered again by the stream."})
	}
}

func (c *console) webhookDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	e, err := c.cfg.Service.Webhook(r.Context(), orgOf(r), r.PathValue("webhook"))
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "webhook_delete", uiView{Title: "Delete webhook " + e.URL, Nav: "webhooks", Data: e})
}

func (c *console) webhookDelete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("webhook")
	e, err := c.cfg.Service.DeleteWebhook(r.Context(), orgOf(r), id)
	if err != nil {
		c.refusedTo(w, r, webhookPage(id), err)
		return
	}
	c.doneTo(w, r, uiPrefix+"/webhooks", uiFlash{Notice: "Deleted the endpoint " + e.URL + " and its delivery log: nothing more is sent to it."})
}

// webhookDisabledWhy says in words why an endpoint is disabled, and what to do.
func webhookDisabledWhy(reason string) string {
	switch reason {
	case store.WebhookDisabledByAdmin:
		return "an admin disabled it; enable it to resume where it stopped."
	case store.WebhookDisabledGone:
		return "the receiver answered 410 Gone; enable it once the receiver wants events again."
	case store.WebhookDisabledFailing:
		return "an event failed every attempt for about three days; fix the receiver (see the log below), then enable it."
	case store.WebhookDisabledExpired:
		return "the events after its place were pruned by the retention; replay from a retained revision, or delete it and add it again."
	}
	return reason
}
