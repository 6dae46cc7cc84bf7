package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

// Authorize lets a request through when rolecall allows user(r) to do action on
// project(r); a deny is 403, an unreachable PDP 503 (fail closed).
func Authorize(pdp, token, action string, user, project func(*http.Request) string, next http.Handler) http.Handler {
	client := &http.Client{Timeout: 2 * time.Second}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := json.Marshal(map[string]any{
			"subject":  map[string]string{"type": "user", "id": user(r)},
			"action":   map[string]string{"name": action},
			"resource": map[string]string{"type": "project", "id": project(r)},
		})
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, pdp+"/access/v1/evaluation", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-ID", r.Header.Get("X-Request-ID"))
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, "authorization unavailable", http.StatusServiceUnavailable)
			return
		}
		defer resp.Body.Close()
		var d struct {
			Decision bool `json:"decision"`
		}
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&d) != nil {
			http.Error(w, "authorization unavailable", http.StatusServiceUnavailable)
			return
		}
		if !d.Decision {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
