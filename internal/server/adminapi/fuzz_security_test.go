package adminapi_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
)

// adminFuzzRoutes are the admin routes that decode a request body, addressed by a byte of
// the fuzz input so that the fuzzer explores all of them.
var adminFuzzRoutes = []struct{ method, path string }{
	{"POST", "/api/v1/grants"},
	{"POST", "/api/v1/grants/revoke"},
	{"POST", "/api/v1/clouds"},
	{"PATCH", "/api/v1/clouds/prod"},
	{"POST", "/api/v1/projects"},
	{"PATCH", "/api/v1/projects/web"},
	{"POST", "/api/v1/service-accounts"},
	{"PATCH", "/api/v1/org/settings"},
	{"POST", "/api/v1/tokens"},
	{"POST", "/api/v1/enforce/apply"},
	{"POST", "/api/v1/enforce/preview"},
	{"DELETE", "/api/v1/grants/x"},
}

// adminFuzzServer is one server shared by every fuzz input (opening a database per input
// would make the fuzzer crawl): a cloud, a project, a user and a group to refer to.
var adminFuzzServer = sync.OnceValues(func() (http.Handler, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "rolecall-fuzz-admin-")
	if err != nil {
		return nil, err
	}
	adminFuzzDir = dir
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "fuzz.db"))
	if err != nil {
		return nil, err
	}
	if _, _, err := auth.Bootstrap(ctx, st, adminTestToken); err != nil {
		return nil, err
	}
	srv := server.New(server.Config{}, st, nil, nil)
	h := srv.Handler()
	for _, req := range []struct{ method, path, body string }{
		{"POST", "/api/v1/clouds", `{"name":"prod"}`},
		{"POST", "/api/v1/projects", `{"name":"web","cloud":"prod"}`},
		{"POST", "/api/v1/service-accounts", `{"name":"robot"}`},
	} {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(req.method, req.path, bytes.NewReader([]byte(req.body)))
		r.Header.Set("Authorization", "Bearer "+adminTestToken)
		h.ServeHTTP(rec, r)
	}
	var orgID string
	_ = st.View(ctx, func(tx store.Tx) error {
		o, err := tx.OrgByName(ctx, auth.DefaultOrg)
		orgID = o.ID
		return err
	})
	_ = st.Update(ctx, func(tx store.Tx) error {
		u, err := tx.CreateUser(ctx, store.User{OrgID: orgID, UserName: "alice@example.com", Active: true, Doc: []byte(`{}`)})
		if err != nil {
			return err
		}
		g, err := tx.CreateGroup(ctx, store.Group{OrgID: orgID, DisplayName: "eng", Active: true, Doc: []byte(`{}`)})
		if err != nil {
			return err
		}
		_, err = tx.AddMembers(ctx, orgID, g.ID, []string{u.ID})
		return err
	})
	return h, nil
})

// FuzzAdminRequest sends arbitrary bodies to every admin route that decodes one, through
// the real handler on a real database: whatever the input, the answer is never a 500 (a
// panic would be recovered into one) and always the admin API's JSON error or a success.
func FuzzAdminRequest(f *testing.F) {
	for i, body := range []string{
		`{"role":"owner","principalType":"user","principal":"alice@example.com","resourceKind":"cloud","resource":"prod"}`,
		`{"role":"readonly","principalType":"group","principal":"eng","resourceKind":"project","resource":"web"}`,
		`{"role":"owner","principalType":"service_account","principal":"robot","resourceKind":"organization"}`,
		`{"name":"staging"}`, `{"name":"prod2"}`, `{"name":"api","cloud":"prod"}`, `{"name":"web2"}`, `{"name":"bot"}`,
		`{"groupsOnly":true}`, `{"name":"t","scope":"scim","expiresAt":"2999-01-01T00:00:00Z"}`, `{"fingerprint":"abc"}`, ``,
		`{"role":"owner","principalType":"user","principal":"alice@example.com","resourceKind":"cloud","resource":"prod","extra":1}`,
		`{"role":null}`, `[]`, `{"name":"` + "\xff" + `"}`, `{"expiresAt":"yesterday","name":"x","scope":"admin"}`,
	} {
		f.Add(byte(i), []byte(body))
	}
	f.Cleanup(func() {
		if adminFuzzDir != "" {
			_ = os.RemoveAll(adminFuzzDir)
		}
	})
	f.Fuzz(func(t *testing.T, route byte, body []byte) {
		h, err := adminFuzzServer()
		if err != nil {
			t.Fatal(err)
		}
		rt := adminFuzzRoutes[int(route)%len(adminFuzzRoutes)]
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(rt.method, rt.path, bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+adminTestToken)
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q = %d %s", rt.method, rt.path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && !bytes.Contains(rec.Body.Bytes(), []byte(`"code"`)) {
			t.Fatalf("%s %s %q = %d without an admin API error: %s", rt.method, rt.path, body, rec.Code, rec.Body)
		}
	})
}

// adminFuzzDir is the shared database's directory, removed when the fuzz target ends.
var adminFuzzDir string
