package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/rolecall/rolecall/internal/api"
)

// Clouds, projects, service accounts, users, groups and org settings. Every object argument
// is an id or a name (userName for users, displayName for groups).

func pathOf(prefix, ref string) string { return prefix + "/" + url.PathEscape(ref) }

// pageQuery adds offset/limit to q when set.
func pageQuery(q url.Values, p api.Page) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if p.Offset > 0 {
		q.Set("offset", strconv.Itoa(p.Offset))
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	return q
}

// ListClouds lists the org's clouds by name.
func (c *Client) ListClouds(ctx context.Context) ([]api.Cloud, error) {
	var l api.List[api.Cloud]
	return l.Items, c.do(ctx, http.MethodGet, "/api/v1/clouds", nil, nil, &l)
}

// CreateCloud creates a cloud.
func (c *Client) CreateCloud(ctx context.Context, name string) (api.Cloud, error) {
	var out api.Cloud
	return out, c.do(ctx, http.MethodPost, "/api/v1/clouds", nil, api.CreateCloudRequest{Name: name}, &out)
}

// Cloud returns a cloud by id or name.
func (c *Client) Cloud(ctx context.Context, ref string) (api.Cloud, error) {
	var out api.Cloud
	return out, c.do(ctx, http.MethodGet, pathOf("/api/v1/clouds", ref), nil, nil, &out)
}

// RenameCloud renames a cloud.
func (c *Client) RenameCloud(ctx context.Context, ref, name string) (api.Cloud, error) {
	var out api.Cloud
	return out, c.do(ctx, http.MethodPatch, pathOf("/api/v1/clouds", ref), nil, api.RenameRequest{Name: name}, &out)
}

// DeleteCloud deletes a cloud (which must hold no project) and its grants; it returns the
// deleted cloud.
func (c *Client) DeleteCloud(ctx context.Context, ref string) (api.Cloud, error) {
	var out api.Cloud
	return out, c.do(ctx, http.MethodDelete, pathOf("/api/v1/clouds", ref), nil, nil, &out)
}

// ListProjects lists projects by name, all or those of one cloud (cloud "" = all).
func (c *Client) ListProjects(ctx context.Context, cloud string) ([]api.Project, error) {
	var q url.Values
	if cloud != "" {
		q = url.Values{"cloud": {cloud}}
	}
	var l api.List[api.Project]
	return l.Items, c.do(ctx, http.MethodGet, "/api/v1/projects", q, nil, &l)
}

// CreateProject creates a private project in a cloud.
func (c *Client) CreateProject(ctx context.Context, name, cloud string) (api.Project, error) {
	return c.CreateProjectWith(ctx, api.CreateProjectRequest{Name: name, Cloud: cloud})
}

// CreateProjectWith creates a project as req says, its visibility included.
func (c *Client) CreateProjectWith(ctx context.Context, req api.CreateProjectRequest) (api.Project, error) {
	var out api.Project
	return out, c.do(ctx, http.MethodPost, "/api/v1/projects", nil, req, &out)
}

// SetProjectVisibility makes a project "public" or "private".
func (c *Client) SetProjectVisibility(ctx context.Context, ref, visibility string) (api.Project, error) {
	var out api.Project
	return out, c.do(ctx, http.MethodPatch, pathOf("/api/v1/projects", ref), nil, api.UpdateProjectRequest{Visibility: visibility}, &out)
}

// Project returns a project by id or name.
func (c *Client) Project(ctx context.Context, ref string) (api.Project, error) {
	var out api.Project
	return out, c.do(ctx, http.MethodGet, pathOf("/api/v1/projects", ref), nil, nil, &out)
}

// RenameProject renames a project.
func (c *Client) RenameProject(ctx context.Context, ref, name string) (api.Project, error) {
	var out api.Project
	return out, c.do(ctx, http.MethodPatch, pathOf("/api/v1/projects", ref), nil, api.UpdateProjectRequest{Name: name}, &out)
}

// DeleteProject deletes a project and its grants; it returns the deleted project.
func (c *Client) DeleteProject(ctx context.Context, ref string) (api.Project, error) {
	var out api.Project
	return out, c.do(ctx, http.MethodDelete, pathOf("/api/v1/projects", ref), nil, nil, &out)
}

// ListServiceAccounts lists the org's service accounts by name.
func (c *Client) ListServiceAccounts(ctx context.Context) ([]api.ServiceAccount, error) {
	var l api.List[api.ServiceAccount]
	return l.Items, c.do(ctx, http.MethodGet, "/api/v1/service-accounts", nil, nil, &l)
}

// CreateServiceAccount creates a service account.
func (c *Client) CreateServiceAccount(ctx context.Context, name string) (api.ServiceAccount, error) {
	var out api.ServiceAccount
	return out, c.do(ctx, http.MethodPost, "/api/v1/service-accounts", nil, api.CreateServiceAccountRequest{Name: name}, &out)
}

// ServiceAccount returns a service account by id or name.
func (c *Client) ServiceAccount(ctx context.Context, ref string) (api.ServiceAccount, error) {
	var out api.ServiceAccount
	return out, c.do(ctx, http.MethodGet, pathOf("/api/v1/service-accounts", ref), nil, nil, &out)
}

// DeleteServiceAccount deletes a service account and its grants.
func (c *Client) DeleteServiceAccount(ctx context.Context, ref string) (api.ServiceAccount, error) {
	var out api.ServiceAccount
	return out, c.do(ctx, http.MethodDelete, pathOf("/api/v1/service-accounts", ref), nil, nil, &out)
}

// ListUsers lists one page of users by userName; prefix narrows to userNames starting with
// it.
func (c *Client) ListUsers(ctx context.Context, prefix string, p api.Page) (api.List[api.User], error) {
	q := url.Values{}
	if prefix != "" {
		q.Set("q", prefix)
	}
	var l api.List[api.User]
	return l, c.do(ctx, http.MethodGet, "/api/v1/users", pageQuery(q, p), nil, &l)
}

// User returns a user by id or userName, with the groups it is directly in.
func (c *Client) User(ctx context.Context, ref string) (api.User, error) {
	var out api.User
	return out, c.do(ctx, http.MethodGet, pathOf("/api/v1/users", ref), nil, nil, &out)
}

// ListGroups lists one page of groups by displayName; prefix narrows to names starting with
// it.
func (c *Client) ListGroups(ctx context.Context, prefix string, p api.Page) (api.List[api.Group], error) {
	q := url.Values{}
	if prefix != "" {
		q.Set("q", prefix)
	}
	var l api.List[api.Group]
	return l, c.do(ctx, http.MethodGet, "/api/v1/groups", pageQuery(q, p), nil, &l)
}

// Group returns a group by id or displayName.
func (c *Client) Group(ctx context.Context, ref string) (api.Group, error) {
	var out api.Group
	return out, c.do(ctx, http.MethodGet, pathOf("/api/v1/groups", ref), nil, nil, &out)
}

// GroupMembers lists one page of a group's direct members.
func (c *Client) GroupMembers(ctx context.Context, ref string, p api.Page) (api.List[api.Member], error) {
	var l api.List[api.Member]
	return l, c.do(ctx, http.MethodGet, pathOf("/api/v1/groups", ref)+"/members", pageQuery(nil, p), nil, &l)
}

// OrgSettings returns the org's settings.
func (c *Client) OrgSettings(ctx context.Context) (api.OrgSettings, error) {
	var out api.OrgSettings
	return out, c.do(ctx, http.MethodGet, "/api/v1/org/settings", nil, nil, &out)
}

// UpdateOrgSettings changes the settings that req sets.
func (c *Client) UpdateOrgSettings(ctx context.Context, req api.UpdateOrgSettingsRequest) (api.OrgSettings, error) {
	var out api.OrgSettings
	return out, c.do(ctx, http.MethodPatch, "/api/v1/org/settings", nil, req, &out)
}
