package adminapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/testenv"
)

// adminEnv is a real server on a fresh database with the bootstrap org and its admin token.
type adminEnv struct {
	t     *testing.T
	st    store.Store
	url   string
	orgID string
	token string
}

const adminTestToken = "rc_admin_test_token_0123456789"

// adminBackends runs fn on SQLite, and on PostgreSQL (a subtest that skips with
// sqltest.SkipMessage when sqltest.EnvPostgres is not set).
func adminBackends(t *testing.T, fn func(t *testing.T, e *adminEnv)) {
	testenv.Each(t, testenv.Options{AdminToken: adminTestToken}, func(t *testing.T, env *testenv.Env) {
		fn(t, &adminEnv{t: t, st: env.Store, url: env.URL, orgID: env.OrgID, token: env.AdminToken})
	})
}

// do sends a request with the given token and decodes a 2xx answer into out; it returns the
// status and the raw body.
func (e *adminEnv) do(token, method, path string, body any, out any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: decoding %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, raw
}

// must sends a request with the env's token and fails the test unless it answers want.
func (e *adminEnv) must(want int, method, path string, body any, out any) []byte {
	e.t.Helper()
	got, raw := e.do(e.token, method, path, body, out)
	if got != want {
		e.t.Fatalf("%s %s = %d %s, want %d", method, path, got, raw, want)
	}
	return raw
}

// apiError decodes an error body.
func apiError(t *testing.T, raw []byte) api.Error {
	t.Helper()
	var e api.Error
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("decoding error %s: %v", raw, err)
	}
	return e
}

// seedDirectory writes users and groups straight to the store (the SCIM handlers are
// elsewhere): users by userName (active unless listed in inactive), groups with members.
func seedDirectory(t *testing.T, st store.Store, orgID string, users []string, inactive map[string]bool, groups map[string][]string) (userIDs, groupIDs map[string]string) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "seed"})
	userIDs, groupIDs = map[string]string{}, map[string]string{}
	err := st.Update(ctx, func(tx store.Tx) error {
		for _, name := range users {
			u, err := tx.CreateUser(ctx, store.User{OrgID: orgID, UserName: name, Active: !inactive[name], Doc: json.RawMessage(`{}`)})
			if err != nil {
				return err
			}
			userIDs[name] = u.ID
		}
		for name := range groups {
			g, err := tx.CreateGroup(ctx, store.Group{OrgID: orgID, DisplayName: name, Active: true, Doc: json.RawMessage(`{}`)})
			if err != nil {
				return err
			}
			groupIDs[name] = g.ID
		}
		for name, members := range groups {
			var ids []string
			for _, m := range members {
				if id, ok := userIDs[m]; ok {
					ids = append(ids, id)
				} else {
					ids = append(ids, groupIDs[m])
				}
			}
			if len(ids) > 0 {
				if _, err := tx.AddMembers(ctx, orgID, groupIDs[name], ids); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seeding: %v", err)
	}
	return userIDs, groupIDs
}
