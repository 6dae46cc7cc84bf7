package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
)

// recorder is a fake server that records the request and answers a canned status and body.
type recorder struct {
	method, rawPath, path, query, body, auth string
	status                                   int
	answer                                   string
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.method, rc.rawPath, rc.path, rc.query, rc.body = r.Method, r.URL.EscapedPath(), r.URL.Path, r.URL.RawQuery, string(b)
	rc.auth = r.Header.Get("Authorization")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rc.status)
	_, _ = io.WriteString(w, rc.answer)
}

func newRecorder(t *testing.T, status int, answer string) (*recorder, *Client) {
	t.Helper()
	rc := &recorder{status: status, answer: answer}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/", "secret-token")
	if err != nil {
		t.Fatal(err)
	}
	return rc, c
}

func TestClientRequests(t *testing.T) {
	ctx := context.Background()
	since := time.Date(2025, 1, 31, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name                         string
		call                         func(*Client) error
		method, rawPath, query, body string
	}{
		{"user by name with @", func(c *Client) error { _, err := c.User(ctx, "alice@example.com"); return err },
			"GET", "/api/v1/users/alice@example.com", "", ""},
		{"group name with slash and percent", func(c *Client) error { _, err := c.Group(ctx, "eng/ops 100%"); return err },
			"GET", "/api/v1/groups/eng%2Fops%20100%25", "", ""},
		{"members paged", func(c *Client) error {
			_, err := c.GroupMembers(ctx, "eng", api.Page{Offset: 10, Limit: 5})
			return err
		}, "GET", "/api/v1/groups/eng/members", "limit=5&offset=10", ""},
		{"rename cloud", func(c *Client) error { _, err := c.RenameCloud(ctx, "prod", "live"); return err },
			"PATCH", "/api/v1/clouds/prod", "", `{"name":"live"}`},
		{"projects of a cloud", func(c *Client) error { _, err := c.ListProjects(ctx, "prod"); return err },
			"GET", "/api/v1/projects", "cloud=prod", ""},
		{"public project", func(c *Client) error {
			_, err := c.CreateProjectWith(ctx, api.CreateProjectRequest{Name: "web", Cloud: "prod", Visibility: "public"})
			return err
		}, "POST", "/api/v1/projects", "", `{"name":"web","cloud":"prod","visibility":"public"}`},
		{"project visibility", func(c *Client) error { _, err := c.SetProjectVisibility(ctx, "web", "private"); return err },
			"PATCH", "/api/v1/projects/web", "", `{"visibility":"private"}`},
		{"rename project", func(c *Client) error { _, err := c.RenameProject(ctx, "web", "site"); return err },
			"PATCH", "/api/v1/projects/web", "", `{"name":"site"}`},
		{"revoke", func(c *Client) error {
			_, err := c.RevokeGrant(ctx, api.GrantRequest{Role: "owner", PrincipalType: "user", Principal: "a", ResourceKind: "organization"})
			return err
		}, "POST", "/api/v1/grants/revoke", "", `{"role":"owner","principalType":"user","principal":"a","resourceKind":"organization"}`},
		{"grants by principal", func(c *Client) error {
			_, err := c.ListGrants(ctx, api.GrantFilter{PrincipalType: "group", Principal: "eng"})
			return err
		}, "GET", "/api/v1/grants", "principal=eng&principalType=group", ""},
		{"explain one resource", func(c *Client) error { _, err := c.Explain(ctx, "bob", "cloud", "prod"); return err },
			"GET", "/api/v1/access/users/bob/explain", "resource=prod&resourceKind=cloud", ""},
		{"audit filter", func(c *Client) error {
			_, err := c.ListAudit(ctx, api.AuditFilter{Since: since, Action: "grant.create", TargetType: "cloud", Target: "prod", Page: api.Page{Limit: 3}})
			return err
		}, "GET", "/api/v1/audit", "action=grant.create&limit=3&since=2025-01-31T09%3A00%3A00Z&target=prod&targetType=cloud", ""},
		{"settings", func(c *Client) error {
			on := true
			_, err := c.UpdateOrgSettings(ctx, api.UpdateOrgSettingsRequest{GroupsOnly: &on})
			return err
		}, "PATCH", "/api/v1/org/settings", "", `{"groupsOnly":true}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc, cl := newRecorder(t, 200, `{}`)
			if err := c.call(cl); err != nil {
				t.Fatal(err)
			}
			if rc.method != c.method || rc.rawPath != c.rawPath || rc.query != c.query || rc.body != c.body || rc.auth != "Bearer secret-token" {
				t.Errorf("sent %s %s ?%s %s (%s), want %s %s ?%s %s", rc.method, rc.rawPath, rc.query, rc.body, rc.auth,
					c.method, c.rawPath, c.query, c.body)
			}
		})
	}
}

func TestClientCreateGrantStatus(t *testing.T) {
	for _, c := range []struct {
		status  int
		created bool
	}{{201, true}, {200, false}} {
		_, cl := newRecorder(t, c.status, `{"id":"g1","role":"owner"}`)
		g, created, err := cl.CreateGrant(context.Background(), api.GrantRequest{Role: "owner"})
		if err != nil || created != c.created || g.ID != "g1" {
			t.Errorf("status %d: grant %+v created=%v err=%v", c.status, g, created, err)
		}
	}
}

func TestClientErrors(t *testing.T) {
	body, _ := json.Marshal(api.Error{Status: 400, Code: "bad_request", Message: "role \"x\" is not valid",
		Details: map[string]any{"validRoles": []string{"owner"}}})
	_, cl := newRecorder(t, 400, string(body))
	_, _, err := cl.CreateGrant(context.Background(), api.GrantRequest{Role: "x"})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Message != `role "x" is not valid` || ae.Details == nil {
		t.Errorf("err = %#v", err)
	}
	_, cl = newRecorder(t, 404, `not json`)
	if _, err := cl.Cloud(context.Background(), "x"); !IsNotFound(err) {
		t.Errorf("plain 404 = %v, want IsNotFound", err)
	}
	cl, _ = New("http://127.0.0.1:1", "t")
	if _, err := cl.ListClouds(context.Background()); err == nil || !strings.Contains(err.Error(), "cannot reach rolecall at http://127.0.0.1:1") {
		t.Errorf("unreachable server: %v", err)
	}
}
