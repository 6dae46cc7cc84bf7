package console

import (
	"fmt"
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// Create, rename and delete clouds, projects and service accounts. A delete is two steps:
// a GET page that says what goes with the object (its grants; a cloud's projects, which
// block it) and a POST that deletes. Each POST is one service use case (one transaction,
// one audit event with the session's token name as actor) answered by a redirect and a
// flash banner.

// kindPath is the console path segment of each resource kind's pages.
var kindPath = map[store.ResourceKind]string{store.KindCloud: "clouds", store.KindProject: "projects"}

func (c *console) cloudCreate(w http.ResponseWriter, r *http.Request) {
	v, err := c.cfg.Service.CreateCloud(r.Context(), orgOf(r), r.PostFormValue("name"))
	if err != nil {
		c.refusedTo(w, r, uiPrefix+"/clouds", err)
		return
	}
	c.doneTo(w, r, uiPrefix+"/clouds/"+v.ID, uiFlash{Notice: "Created cloud “" + v.Name + "”. Grant roles on it below."})
}

// projectCreate creates a project in the cloud the form names, with the default visibility
// (its setting is the visibility pages' to offer); it returns to the form's page (the
// projects list or the cloud's page) when refused.
func (c *console) projectCreate(w http.ResponseWriter, r *http.Request) {
	v, err := c.cfg.Service.CreateProject(r.Context(), orgOf(r), r.PostFormValue("name"), r.PostFormValue("cloud"), "")
	if err != nil {
		c.refused(w, r, err)
		return
	}
	c.doneTo(w, r, uiPrefix+"/projects/"+v.ID, uiFlash{Notice: "Created project “" + v.Name + "” in cloud “" + v.Cloud + "”. Grant roles on it below."})
}

func (c *console) serviceAccountCreate(w http.ResponseWriter, r *http.Request) {
	v, err := c.cfg.Service.CreateServiceAccount(r.Context(), orgOf(r), r.PostFormValue("name"))
	if err != nil {
		c.refusedTo(w, r, uiPrefix+"/service-accounts", err)
		return
	}
	c.doneTo(w, r, uiPrefix+"/service-accounts/"+v.ID, uiFlash{Notice: "Created service account “" + v.Name + "”. Grant it roles below."})
}

func (c *console) cloudRename(w http.ResponseWriter, r *http.Request) {
	c.resourceRename(w, r, store.KindCloud, r.PathValue("cloud"))
}

func (c *console) projectRename(w http.ResponseWriter, r *http.Request) {
	c.resourceRename(w, r, store.KindProject, r.PathValue("project"))
}

func (c *console) resourceRename(w http.ResponseWriter, r *http.Request, kind store.ResourceKind, ref string) {
	page := uiPrefix + "/" + kindPath[kind] + "/" + ref
	before, err := c.cfg.Service.ResourceDetail(r.Context(), orgOf(r), kind, ref)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	name := r.PostFormValue("name")
	if _, err := c.cfg.Service.RenameResource(r.Context(), orgOf(r), kind, before.Resource.ID, name); err != nil {
		c.refusedTo(w, r, page, err)
		return
	}
	after, err := c.cfg.Service.ResourceDetail(r.Context(), orgOf(r), kind, before.Resource.ID)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	msg := fmt.Sprintf("Renamed %s “%s” to “%s”.", kind, before.Resource.Name, after.Resource.Name)
	if before.Resource.Name == after.Resource.Name {
		msg = fmt.Sprintf("The %s is already named “%s”; nothing was changed.", kind, after.Resource.Name)
	}
	c.doneTo(w, r, page, uiFlash{Notice: msg})
}

// uiDeleteData is the delete confirmation page: what is deleted and what goes with it.
type uiDeleteData struct {
	Kind, Name, ID string
	// Page is the object's page (Cancel), Action where the delete is posted.
	Page, Action string
	Grants       int
	// Projects block a cloud's deletion.
	Projects []store.Resource
}

func (c *console) cloudDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	c.resourceDeleteConfirm(w, r, store.KindCloud, r.PathValue("cloud"))
}

func (c *console) projectDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	c.resourceDeleteConfirm(w, r, store.KindProject, r.PathValue("project"))
}

func (c *console) resourceDeleteConfirm(w http.ResponseWriter, r *http.Request, kind store.ResourceKind, ref string) {
	d, err := c.cfg.Service.ResourceDetail(r.Context(), orgOf(r), kind, ref)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	page := uiPrefix + "/" + kindPath[kind] + "/" + d.Resource.ID
	v := uiDeleteData{Kind: string(kind), Name: d.Resource.Name, ID: d.Resource.ID, Page: page, Action: page + "/delete",
		Grants: len(d.UserGrants) + len(d.GroupGrants) + len(d.AccountGrants), Projects: d.Projects}
	c.render(w, r, http.StatusOK, "delete", uiView{Title: "Delete " + string(kind) + " " + d.Resource.Name, Nav: kindPath[kind], Data: v})
}

func (c *console) cloudDelete(w http.ResponseWriter, r *http.Request) {
	c.resourceDelete(w, r, store.KindCloud, r.PathValue("cloud"))
}

func (c *console) projectDelete(w http.ResponseWriter, r *http.Request) {
	c.resourceDelete(w, r, store.KindProject, r.PathValue("project"))
}

func (c *console) resourceDelete(w http.ResponseWriter, r *http.Request, kind store.ResourceKind, ref string) {
	d, err := c.cfg.Service.ResourceDetail(r.Context(), orgOf(r), kind, ref)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	// The count is read just before the delete, outside its transaction: it words the
	// banner, while the audit event records exactly which grants went.
	grants := len(d.UserGrants) + len(d.GroupGrants) + len(d.AccountGrants)
	if _, err := c.cfg.Service.DeleteResource(r.Context(), orgOf(r), kind, d.Resource.ID); err != nil {
		c.refusedTo(w, r, uiPrefix+"/"+kindPath[kind]+"/"+d.Resource.ID, err)
		return
	}
	c.doneTo(w, r, uiPrefix+"/"+kindPath[kind], uiFlash{Notice: fmt.Sprintf("Deleted %s “%s” and its %s.", kind, d.Resource.Name, grantCount(grants))})
}

func (c *console) serviceAccountDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	sa, grants, err := c.accountWithGrants(r)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	page := uiPrefix + "/service-accounts/" + sa.ID
	v := uiDeleteData{Kind: "service account", Name: sa.Name, ID: sa.ID, Page: page, Action: page + "/delete", Grants: len(grants)}
	c.render(w, r, http.StatusOK, "delete", uiView{Title: "Delete service account " + sa.Name, Nav: "service-accounts", Data: v})
}

func (c *console) serviceAccountDelete(w http.ResponseWriter, r *http.Request) {
	sa, grants, err := c.accountWithGrants(r)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	if _, err := c.cfg.Service.DeleteServiceAccount(r.Context(), orgOf(r), sa.ID); err != nil {
		c.refusedTo(w, r, uiPrefix+"/service-accounts/"+sa.ID, err)
		return
	}
	c.doneTo(w, r, uiPrefix+"/service-accounts", uiFlash{Notice: fmt.Sprintf("Deleted service account “%s” and its %s.", sa.Name, grantCount(len(grants)))})
}

func (c *console) accountWithGrants(r *http.Request) (api.ServiceAccount, []api.Grant, error) {
	sa, err := c.cfg.Service.ServiceAccount(r.Context(), orgOf(r), r.PathValue("account"))
	if err != nil {
		return sa, nil, err
	}
	gs, err := c.cfg.Service.Grants(r.Context(), orgOf(r), service.GrantFilter{PrincipalType: api.PrincipalServiceAccount, Principal: sa.ID})
	return sa, gs, err
}

func grantCount(n int) string {
	if n == 1 {
		return "1 grant"
	}
	return fmt.Sprintf("%d grants", n)
}
