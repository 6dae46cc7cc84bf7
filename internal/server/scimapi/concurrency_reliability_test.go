package scimapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
)

// bgClient bounds every request of the concurrency test: a deadlock shows as a timeout
// error, not as a hung test.
var bgClient = &http.Client{Timeout: 30 * time.Second}

// send is a goroutine-safe request: it returns an error instead of failing the test.
func send(base, token, method, path string, body any, out any, hdr ...string) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := bgClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	if res.StatusCode >= 500 {
		return res.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	return res.StatusCode, nil
}

// TestConcurrentSCIMWritesDuringEnforce runs SCIM clients that create users, change them
// with If-Match and add members while enforce-groups previews, applies and undoes in a loop.
// Nothing deadlocks (every request answers within its timeout), no acknowledged write is
// lost (each client's last acknowledged value is what the server holds), and the
// fingerprint rule holds: every apply either applied exactly the plan that was previewed
// (201, same fingerprint) or was refused with 409 stale_plan, and runs match 201s.
func TestConcurrentSCIMWritesDuringEnforce(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		const writers, usersPerWriter, rounds = 6, 6, 12
		everyone := e.newGroup("everyone")
		e.must(201, "POST", "/api/v1/clouds", map[string]string{"name": "prod"}, "Authorization", "Bearer "+e.admin)
		e.must(201, "POST", "/api/v1/grants", map[string]string{"role": "owner", "principalType": "group", "principal": "everyone",
			"resourceKind": "organization"}, "Authorization", "Bearer "+e.admin)
		type owned struct {
			id, version, display string
		}
		state := make([][]owned, writers)
		for w := range writers {
			for i := range usersPerWriter {
				r := e.must(201, "POST", "/scim/v2/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
					"userName": fmt.Sprintf("w%d-u%d@example.com", w, i)})
				id := jstr(r.doc, "id")
				e.must(204, "PATCH", "/scim/v2/Groups/"+everyone, scimPatchBody(scimOp("add", "members", []map[string]any{{"value": id}})))
				e.must(201, "POST", "/api/v1/grants", map[string]string{"role": "readonly", "principalType": "user",
					"principal": fmt.Sprintf("w%d-u%d@example.com", w, i), "resourceKind": "cloud", "resource": "prod"}, "Authorization", "Bearer "+e.admin)
				state[w] = append(state[w], owned{id: id, version: jstr(r.doc, "meta.version")})
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		stop := make(chan struct{})
		errs := make(chan error, 100)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for step := 0; ; step++ {
					select {
					case <-stop:
						return
					default:
					}
					u := &state[w][step%usersPerWriter]
					display := fmt.Sprintf("w%d-step%d", w, step)
					var got map[string]any
					status, err := send(e.srv.URL, e.token, "PATCH", "/scim/v2/Users/"+u.id,
						scimPatchBody(scimOp("replace", "displayName", display)), &got, "If-Match", u.version)
					if err != nil || status != 200 {
						errs <- fmt.Errorf("writer %d PATCH %s with its own current version: %d %v", w, u.id, status, err)
						return
					}
					u.version, u.display = jstr(got, "meta.version"), display
					if step%4 == 0 {
						// A new user outside every group changes the plan (a removal).
						if _, err := send(e.srv.URL, e.token, "POST", "/scim/v2/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
							"userName": fmt.Sprintf("w%d-new%d@example.com", w, step)}, nil); err != nil {
							errs <- err
							return
						}
					}
				}
			}()
		}
		applied, stale := 0, 0
		for round := range rounds {
			if ctx.Err() != nil {
				t.Fatal("enforce loop out of time: deadlock?")
			}
			var pv api.EnforcePreview
			if _, err := send(e.srv.URL, e.admin, "POST", "/api/v1/enforce/preview", map[string]any{}, &pv); err != nil {
				t.Fatal(err)
			}
			var res api.EnforceApplyResult
			status, err := send(e.srv.URL, e.admin, "POST", "/api/v1/enforce/apply",
				api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint}, &res)
			if err != nil {
				t.Fatal(err)
			}
			switch status {
			case 201:
				applied++
				if res.Plan.Fingerprint != pv.Plan.Fingerprint {
					t.Errorf("round %d: applied plan %s, previewed %s", round, res.Plan.Fingerprint, pv.Plan.Fingerprint)
				}
				if _, err := send(e.srv.URL, e.admin, "POST", "/api/v1/enforce/runs/"+res.RunID+"/undo", map[string]any{}, nil); err != nil {
					t.Fatal(err)
				}
			case 409:
				stale++
			case 200:
			default:
				t.Errorf("round %d: apply answered %d", round, status)
			}
		}
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		// No lost update: what each writer was last told is what the server holds.
		for w := range writers {
			for _, u := range state[w] {
				r := e.must(200, "GET", "/scim/v2/Users/"+u.id, nil)
				if u.display != "" && jstr(r.doc, "displayName") != u.display {
					t.Errorf("user %s: displayName %q, last acknowledged write %q", u.id, jstr(r.doc, "displayName"), u.display)
				}
				if jstr(r.doc, "meta.version") != u.version && r.header.Get("ETag") != u.version {
					// Apply/undo of a removed user bumps its version; these users are all in
					// "everyone", so nothing else may have touched them.
					t.Errorf("user %s: version %s, last acknowledged %s", u.id, jstr(r.doc, "meta.version"), u.version)
				}
			}
		}
		var runs api.List[api.EnforceRun]
		if _, err := send(e.srv.URL, e.admin, "GET", "/api/v1/enforce/runs?limit=1000", nil, &runs); err != nil {
			t.Fatal(err)
		}
		if runs.Total != applied {
			t.Errorf("%d runs recorded for %d applies answered 201", runs.Total, applied)
		}
		if got := countAudit(t, e.st, e.org, "enforce.apply"); got != applied {
			t.Errorf("%d enforce.apply events for %d applies", got, applied)
		}
		t.Logf("%d rounds: %d applied and undone, %d refused as stale", rounds, applied, stale)
	})
}

func countAudit(t *testing.T, st store.Store, orgID, action string) int {
	t.Helper()
	var n int
	err := st.View(context.Background(), func(tx store.Tx) error {
		_, total, err := tx.ListAudit(context.Background(), orgID, store.AuditQuery{Action: action, Page: store.Page{Limit: 0}})
		n = total
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
