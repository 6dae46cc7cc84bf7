package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// The few SCIM requests an identity provider sends to create a directory, for `rolecall seed
// example`: users and groups must arrive the way an IdP would send them (over /scim/v2, with a
// scim token), so that they go through the same provisioning and audit as Okta's or Entra's.
// A client for them is made with New and a token of scope scim.

// SCIMUser is a user to create over SCIM.
type SCIMUser struct {
	UserName string
	Active   bool
}

// SCIMMember is a member of a group created over SCIM: the id the server gave a user or a
// group, and which of the two it is.
type SCIMMember struct {
	ID    string
	Group bool
}

// SCIMCreateUser POSTs a user to /scim/v2/Users and returns the id the server gave it.
func (c *Client) SCIMCreateUser(ctx context.Context, u SCIMUser) (string, error) {
	doc := map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": u.UserName,
		"active":   u.Active,
	}
	return c.scimCreate(ctx, "/scim/v2/Users", doc)
}

// SCIMCreateGroup POSTs a group with its members to /scim/v2/Groups and returns its id.
func (c *Client) SCIMCreateGroup(ctx context.Context, displayName string, members []SCIMMember) (string, error) {
	ms := make([]map[string]string, len(members))
	for i, m := range members {
		ms[i] = map[string]string{"value": m.ID, "type": "User"}
		if m.Group {
			ms[i]["type"] = "Group"
		}
	}
	doc := map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": displayName,
		"members":     ms,
	}
	return c.scimCreate(ctx, "/scim/v2/Groups", doc)
}

// SCIMDeleteGroup DELETEs group id, as an IdP does when a group is removed from the app: the
// server keeps it, deactivated, for audit and undo.
func (c *Client) SCIMDeleteGroup(ctx context.Context, id string) error {
	_, err := c.scimDo(ctx, http.MethodDelete, "/scim/v2/Groups/"+url.PathEscape(id), nil)
	return err
}

func (c *Client) scimCreate(ctx context.Context, path string, doc map[string]any) (string, error) {
	data, err := c.scimDo(ctx, http.MethodPost, path, doc)
	if err != nil {
		return "", err
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("POST %s answered without an id: %s", path, strings.TrimSpace(string(data)))
	}
	return out.ID, nil
}

// scimDo sends one SCIM request; a SCIM error answer (RFC 7644 §3.12) comes back as an
// *api.Error holding its detail, so that the CLI reports it like any other server error.
func (c *Client) scimDo(ctx context.Context, method, path string, in any) ([]byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.connError(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var se struct {
			Detail   string `json:"detail"`
			ScimType string `json:"scimType"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &se) == nil && se.Detail != "" {
			msg = se.Detail
		}
		return nil, &api.Error{Status: resp.StatusCode, Code: "scim_" + strconv.Itoa(resp.StatusCode),
			Message: fmt.Sprintf("SCIM %s %s: %s", method, path, msg)}
	}
	return data, nil
}
