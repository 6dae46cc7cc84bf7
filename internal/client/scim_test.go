package client

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
)

// The SCIM requests seed example sends: their bodies, and a SCIM error answer turned into an
// *api.Error that keeps the server's detail.
func TestSCIMRequests(t *testing.T) {
	ctx := context.Background()
	rc, c := newRecorder(t, 201, `{"id":"u-1","userName":"alice@example.com"}`)
	id, err := c.SCIMCreateUser(ctx, SCIMUser{UserName: "alice@example.com", Active: true})
	if err != nil || id != "u-1" || rc.method != "POST" || rc.path != "/scim/v2/Users" || rc.auth != "Bearer secret-token" ||
		!strings.Contains(rc.body, `"userName":"alice@example.com"`) || !strings.Contains(rc.body, `"active":true`) {
		t.Errorf("create user: %q %v; sent %s %s %s", id, err, rc.method, rc.path, rc.body)
	}
	rc.answer = `{"id":"g-1"}`
	if _, err := c.SCIMCreateGroup(ctx, "engineering", []SCIMMember{{ID: "u-1"}, {ID: "g-0", Group: true}}); err != nil ||
		rc.path != "/scim/v2/Groups" || !strings.Contains(rc.body, `"members":[{"type":"User","value":"u-1"},{"type":"Group","value":"g-0"}]`) {
		t.Errorf("create group: %v; sent %s", err, rc.body)
	}
	rc.status, rc.answer = 204, ""
	if err := c.SCIMDeleteGroup(ctx, "g/1"); err != nil || rc.method != "DELETE" || rc.rawPath != "/scim/v2/Groups/g%2F1" {
		t.Errorf("delete group: %v; sent %s %s", err, rc.method, rc.rawPath)
	}
	rc.status, rc.answer = 409, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"userName \"alice@example.com\" is already taken"}`
	_, err = c.SCIMCreateUser(ctx, SCIMUser{UserName: "alice@example.com"})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != 409 || !strings.Contains(ae.Message, `userName "alice@example.com" is already taken`) {
		t.Errorf("SCIM error: %v", err)
	}
	rc.status, rc.answer = 201, `{}`
	if _, err := c.SCIMCreateUser(ctx, SCIMUser{UserName: "x"}); err == nil || !strings.Contains(err.Error(), "without an id") {
		t.Errorf("an answer without an id: %v", err)
	}
}
