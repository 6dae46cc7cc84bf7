package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/rolecall/rolecall/webhook"
)

// A whole receiver, as docs/webhooks.md shows it: verify the signature (Handler answers 401
// to anything else), skip a webhook-id already processed (a delivery may come more than
// once), act on the CloudEvent, and answer 2xx quickly. Here the deliveries are signed with
// the same package, as rolecall signs them.
func Example_receiver() {
	secret, _ := webhook.NewSecret() // in production: the secret rolecall showed once
	v, err := webhook.NewVerifier(secret)
	if err != nil {
		panic(err)
	}
	var mu sync.Mutex
	done := map[string]bool{} // processed webhook-ids; a real receiver keeps them in its database
	receiver := v.Handler(0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(webhook.HeaderID)
		mu.Lock()
		defer mu.Unlock()
		if done[id] {
			fmt.Println("already processed", id)
			w.WriteHeader(http.StatusNoContent) // 2xx: rolecall stops retrying it
			return
		}
		var ev struct {
			Type     string          `json:"type"`
			Subject  string          `json:"subject"`
			Revision string          `json:"revision"`
			Data     json.RawMessage `json:"data"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, "not a CloudEvent", http.StatusBadRequest)
			return
		}
		fmt.Println("received", ev.Type, ev.Subject, "at revision", ev.Revision)
		done[id] = true // after acting: a failure before this line gets the event again
		w.WriteHeader(http.StatusNoContent)
	}))
	srv := httptest.NewServer(receiver)
	defer srv.Close()

	// rolecall's side of it.
	key, _ := webhook.ParseSecret(secret)
	deliver := func(key []byte, id string, body string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/cloudevents+json")
		webhook.SetHeaders(req.Header, [][]byte{key}, id, time.Now(), []byte(body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	event := `{"specversion":"1.0","id":"5d1e0f3a-7c55-4a0e-9a51-8d3c2c1f9b10","type":"com.rolecall.user.deactivated",` +
		`"subject":"users/2f6c","revision":"42","data":{"user":{"id":"2f6c","userName":"alice@example.com"}}}`
	fmt.Println(deliver(key, "5d1e0f3a-7c55-4a0e-9a51-8d3c2c1f9b10", event))
	fmt.Println(deliver(key, "5d1e0f3a-7c55-4a0e-9a51-8d3c2c1f9b10", event)) // a retry: same webhook-id
	forged, _ := webhook.NewSecret()
	forgedKey, _ := webhook.ParseSecret(forged)
	fmt.Println(deliver(forgedKey, "6a0c9e4e-0000-4000-8000-000000000000", event)) // not rolecall
	// Output:
	// received com.rolecall.user.deactivated users/2f6c at revision 42
	// 204
	// already processed 5d1e0f3a-7c55-4a0e-9a51-8d3c2c1f9b10
	// 204
	// 401
}
