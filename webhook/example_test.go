package webhook_test

import (
	"log"
	"net/http"
	"os"

	"github.com/rolecall/rolecall/webhook"
)

// A platform receives rolecall's change events: it verifies every delivery with the
// endpoint's secret (shown once when the endpoint was created) and treats webhook-id as an
// idempotency key, since a delivery may come more than once.
func ExampleVerifier_Handler() {
	v, err := webhook.NewVerifier(os.Getenv("ROLECALL_WEBHOOK_SECRET"))
	if err != nil {
		log.Print(err) // no secret configured
		return
	}
	http.Handle("POST /rolecall/events", v.Handler(0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(webhook.HeaderID)
		_ = id // skip it if already processed; else decode the CloudEvent in r.Body and act
		w.WriteHeader(http.StatusNoContent)
	})))
}
