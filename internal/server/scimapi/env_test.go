package scimapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
	"github.com/rolecall/rolecall/internal/testenv"
)

// The SCIM tests run end to end: a real server (server.New(...).Handler()) over HTTP on a
// real sqlstore database, SQLite always and PostgreSQL when sqltest.EnvPostgres is set
// (each test in a fresh schema, dropped afterwards).

// scimEnv is one server with one org and a SCIM token.
type scimEnv struct {
	t     testing.TB
	st    store.Store
	srv   *httptest.Server
	org   string
	token string
	admin string // an admin-scope token of the same org
	env   *testenv.Env

	benchIDs []string // users created by benchmarks
}

// forEachBackend runs fn as a subtest per backend (testenv.Each: the PostgreSQL subtest
// skips with sqltest.SkipMessage without a test database), each with a fresh server.
func forEachBackend(t *testing.T, cfg server.Config, fn func(t *testing.T, e *scimEnv)) {
	testenv.Each(t, testenv.Options{Config: cfg, SCIMTokenName: "okta"}, func(t *testing.T, env *testenv.Env) {
		fn(t, fromTestenv(t, env))
	})
}

// newSCIMEnv is one server on a fresh SQLite database, for tests that do not depend on the
// backend.
func newSCIMEnv(t testing.TB, cfg server.Config) *scimEnv {
	t.Helper()
	return newSCIMEnvAt(t, sqltest.SQLiteDSN(t), cfg)
}

// newSCIMEnvAt is one server on the database at dsn, for tests that need more than one
// fresh database per backend.
func newSCIMEnvAt(t testing.TB, dsn string, cfg server.Config) *scimEnv {
	t.Helper()
	return fromTestenv(t, testenv.New(t, dsn, testenv.Options{Config: cfg, SCIMTokenName: "okta"}))
}

func fromTestenv(t testing.TB, env *testenv.Env) *scimEnv {
	return &scimEnv{t: t, st: env.Store, srv: env.Server, org: env.OrgID, token: env.SCIMToken, admin: env.AdminToken, env: env}
}

// createSCIMToken issues a SCIM token in the org and returns its secret.
func (e *scimEnv) createSCIMToken(t testing.TB, orgID string) string {
	t.Helper()
	return e.env.Token(t, orgID, "okta", store.ScopeSCIM)
}

// scimResp is an answer, with its body decoded when it is JSON.
type scimResp struct {
	status int
	header http.Header
	body   []byte
	doc    map[string]any
}

// do sends a request with the SCIM token. body is nil, a string (sent as is) or a value
// (JSON-encoded). hdr are header name/value pairs; "Authorization" "" drops the token.
func (e *scimEnv) do(method, path string, body any, hdr ...string) scimResp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("marshal body: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatalf("request %s %s: %v", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("read %s %s: %v", method, path, err)
	}
	r := scimResp{status: res.StatusCode, header: res.Header, body: b}
	if len(b) > 0 {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		_ = dec.Decode(&r.doc)
	}
	return r
}

// must checks the status and returns the answer.
func (e *scimEnv) must(want int, method, path string, body any, hdr ...string) scimResp {
	e.t.Helper()
	r := e.do(method, path, body, hdr...)
	if r.status != want {
		e.t.Fatalf("%s %s = %d, want %d; body: %s", method, path, r.status, want, r.body)
	}
	return r
}

// wantError checks a SCIM error answer.
func (e *scimEnv) wantError(r scimResp, status int, scimType, detailPart string) {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
		e.t.Errorf("error Content-Type %q", ct)
	}
	if got := jstr(r.doc, "scimType"); got != scimType {
		e.t.Errorf("scimType %q, want %q; body: %s", got, scimType, r.body)
	}
	if got := jstr(r.doc, "status"); got != strconv.Itoa(status) {
		e.t.Errorf("status member %q, want %q", got, strconv.Itoa(status))
	}
	schemas, _ := r.doc["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		e.t.Errorf("error schemas %v", schemas)
	}
	if detailPart != "" && !strings.Contains(jstr(r.doc, "detail"), detailPart) {
		e.t.Errorf("detail %q does not mention %q", jstr(r.doc, "detail"), detailPart)
	}
}

// str reads a string member at a dotted path.
func jstr(doc map[string]any, path string) string {
	v := jget(doc, path)
	s, _ := v.(string)
	return s
}

// get reads a member at a dotted path ("meta.version", "emails.0.value").
func jget(doc any, path string) any {
	cur := doc
	for _, p := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			i := -1
			if err := json.Unmarshal([]byte(p), &i); err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// resources returns a ListResponse's Resources.
func scimResources(r scimResp) []map[string]any {
	list, _ := r.doc["Resources"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		out = append(out, m)
	}
	return out
}

func jnum(doc map[string]any, path string) int {
	switch v := jget(doc, path).(type) {
	case json.Number:
		n, _ := v.Int64()
		return int(n)
	case float64:
		return int(v)
	}
	return -1
}

// auditCount counts the org's audit events with the action ("" for all SCIM ones).
func (e *scimEnv) auditCount(action string) int {
	e.t.Helper()
	n := 0
	err := e.st.View(context.Background(), func(tx store.Tx) error {
		evs, _, err := tx.ListAudit(context.Background(), e.org, store.AuditQuery{Action: action, Page: store.Page{Limit: 100000}})
		if err != nil {
			return err
		}
		for _, ev := range evs {
			if strings.HasPrefix(ev.Action, "scim.") {
				n++
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatalf("list audit: %v", err)
	}
	return n
}

// newUser creates a user and returns its id.
func (e *scimEnv) newUser(userName string, extra map[string]any) string {
	e.t.Helper()
	body := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": userName}
	for k, v := range extra {
		body[k] = v
	}
	r := e.must(http.StatusCreated, "POST", "/scim/v2/Users", body)
	return jstr(r.doc, "id")
}

// newGroup creates a group with members and returns its id.
func (e *scimEnv) newGroup(name string, memberIDs ...string) string {
	e.t.Helper()
	ms := make([]map[string]any, len(memberIDs))
	for i, id := range memberIDs {
		ms[i] = map[string]any{"value": id}
	}
	body := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": name, "members": ms}
	r := e.must(http.StatusCreated, "POST", "/scim/v2/Groups", body)
	return jstr(r.doc, "id")
}

func scimPatchBody(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
}

func scimOp(kind, path string, value any) map[string]any {
	m := map[string]any{"op": kind}
	if path != "" {
		m["path"] = path
	}
	if value != nil {
		m["value"] = value
	}
	return m
}

// lastAuditMentions reports whether the newest audit event's "after" contains s.
func (e *scimEnv) lastAuditMentions(s string) bool {
	e.t.Helper()
	var found bool
	err := e.st.View(context.Background(), func(tx store.Tx) error {
		evs, _, err := tx.ListAudit(context.Background(), e.org, store.AuditQuery{Page: store.Page{Limit: 1}})
		if err != nil || len(evs) == 0 {
			return err
		}
		found = strings.Contains(string(evs[0].After), s)
		return nil
	})
	if err != nil {
		e.t.Fatalf("list audit: %v", err)
	}
	return found
}

// markRemoved marks user id removed and inactive in the store, as an enforce-groups apply
// does, without a run.
func (e *scimEnv) markRemoved(id string) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.st.Update(ctx, func(tx store.Tx) error {
		_, err := tx.SetUserRemoved(ctx, e.org, id, true, false)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
}

// storedUser reads user id from the store.
func (e *scimEnv) storedUser(id string) store.User {
	e.t.Helper()
	ctx := context.Background()
	var u store.User
	if err := e.st.View(ctx, func(tx store.Tx) (err error) { u, err = tx.User(ctx, e.org, id); return err }); err != nil {
		e.t.Fatal(err)
	}
	return u
}
