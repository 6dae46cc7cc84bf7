package console_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/store"
)

var createdID = regexp.MustCompile(`^/ui/(?:clouds|projects|service-accounts)/([^/]+)$`)

// created checks that r redirects to the new object's page and returns its id.
func (e *uiEnv) created(r uiResp) string {
	e.t.Helper()
	m := createdID.FindStringSubmatch(r.location())
	if r.status != http.StatusSeeOther || m == nil {
		e.t.Fatalf("create = %d → %q\n%s", r.status, r.location(), r.body)
	}
	return m[1]
}

func (e *uiEnv) resourceGone(id string) bool {
	e.t.Helper()
	err := e.st.View(context.Background(), func(tx store.Tx) error {
		_, err := tx.Resource(context.Background(), e.orgID, id)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		e.t.Fatal(err)
	}
	return errors.Is(err, store.ErrNotFound)
}

func TestUICloudAndProjectLifecycle(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()

	r := e.post("/ui/clouds", url.Values{"csrf": {csrf}, "name": {"lab-cloud"}})
	cloud := e.created(r)
	e.followFlash(r, "/ui/clouds/"+cloud, "Created cloud “lab-cloud”.")
	if ev := e.lastAudit(audit.ActionCloudCreate); ev.Actor != uiTestTokenName || ev.TargetID != cloud {
		t.Errorf("cloud creation audited as %+v", ev)
	}
	// A taken name and an invalid one are refused in words, back on the list.
	r = e.post("/ui/clouds", url.Values{"csrf": {csrf}, "name": {"LAB-cloud"}})
	e.followFlash(r, "/ui/clouds", "a cloud named &#34;LAB-cloud&#34; already exists")
	r = e.post("/ui/clouds", url.Values{"csrf": {csrf}, "name": {"no spaces"}})
	e.followFlash(r, "/ui/clouds", "Nothing was changed: cloud name &#34;no spaces&#34; may hold only letters")

	// A project from the cloud's page.
	cloudPage := "/ui/clouds/" + cloud
	r = e.post("/ui/projects", url.Values{"csrf": {csrf}, "back": {cloudPage}, "cloud": {cloud}, "name": {"lab-proj"}})
	project := e.created(r)
	e.followFlash(r, "/ui/projects/"+project, "Created project “lab-proj” in cloud “lab-cloud”.")

	// Rename.
	r = e.post(cloudPage+"/rename", url.Values{"csrf": {csrf}, "name": {"lab2-cloud"}})
	e.followFlash(r, cloudPage, "Renamed cloud “lab-cloud” to “lab2-cloud”.")
	if ev := e.lastAudit(audit.ActionCloudRename); ev.Actor != uiTestTokenName {
		t.Errorf("rename audited as %q", ev.Actor)
	}

	// A cloud with a project cannot be deleted: the confirmation page says so and offers
	// no delete button; a POST anyway is refused in console words.
	page := e.get(cloudPage + "/delete")
	if !strings.Contains(page.body, "cannot be deleted") || !strings.Contains(page.body, "lab-proj") || strings.Contains(page.body, "Yes, delete") {
		t.Fatalf("delete page of a cloud with a project:\n%s", page.body)
	}
	r = e.post(cloudPage+"/delete", url.Values{"csrf": {csrf}})
	e.followFlash(r, cloudPage, "a cloud with projects cannot be deleted")
	if e.resourceGone(cloud) {
		t.Fatal("a cloud with a project was deleted")
	}

	// The project's delete page counts its grants; the delete takes them.
	projPage := "/ui/projects/" + project
	for _, g := range []string{"backend", "developers"} {
		e.post("/ui/grants", url.Values{"csrf": {csrf}, "back": {projPage}, "resourceKind": {"project"}, "resource": {project},
			"principalType": {"group"}, "principal": {g}, "role": {"readonly"}})
	}
	page = e.get(projPage + "/delete")
	if !strings.Contains(page.body, "<strong>2 grants</strong>") || !strings.Contains(page.body, "Yes, delete project lab-proj") {
		t.Fatalf("project delete page:\n%s", page.body)
	}
	if e.resourceGone(project) {
		t.Fatal("the confirmation page deleted the project")
	}
	r = e.post(projPage+"/delete", url.Values{"csrf": {csrf}})
	e.followFlash(r, "/ui/projects", "Deleted project “lab-proj” and its 2 grants.")
	if !e.resourceGone(project) {
		t.Fatal("the project is still there")
	}
	if ev := e.lastAudit(audit.ActionProjectDelete); ev.Actor != uiTestTokenName {
		t.Errorf("project delete audited as %q", ev.Actor)
	}

	// Now the cloud can go.
	page = e.get(cloudPage + "/delete")
	if !strings.Contains(page.body, "It has no grants") {
		t.Fatalf("empty cloud delete page:\n%s", page.body)
	}
	r = e.post(cloudPage+"/delete", url.Values{"csrf": {csrf}})
	e.followFlash(r, "/ui/clouds", "Deleted cloud “lab2-cloud” and its 0 grants.")
	if !e.resourceGone(cloud) {
		t.Fatal("the cloud is still there")
	}

	// Without CSRF nothing is created.
	if r := e.post("/ui/clouds", url.Values{"name": {"sneaky"}}); r.status != http.StatusForbidden {
		t.Fatalf("create without CSRF = %d", r.status)
	}
}

func TestUIServiceAccountLifecycle(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	r := e.post("/ui/service-accounts", url.Values{"csrf": {csrf}, "name": {"backup-bot"}})
	sa := e.created(r)
	page := "/ui/service-accounts/" + sa
	e.followFlash(r, page, "Created service account “backup-bot”.")
	e.post("/ui/grants", url.Values{"csrf": {csrf}, "back": {page}, "principalType": {"service_account"}, "principal": {sa},
		"where": {"cloud:" + e.ids["cloud-dev"]}, "role": {"readonly"}})
	if p := e.get(page + "/delete"); !strings.Contains(p.body, "<strong>1 grant</strong> goes with it") {
		t.Fatalf("service account delete page:\n%s", p.body)
	}
	r = e.post(page+"/delete", url.Values{"csrf": {csrf}})
	e.followFlash(r, "/ui/service-accounts", "Deleted service account “backup-bot” and its 1 grant.")
	if ev := e.lastAudit(audit.ActionServiceAccountDelete); ev.Actor != uiTestTokenName || ev.TargetID != sa {
		t.Errorf("service account delete audited as %+v", ev)
	}
	// Its page is gone, and the error speaks of console pages, not CLI commands.
	if p := e.get(page); p.status != http.StatusNotFound || strings.Contains(p.body, "rolecall service-account") ||
		!strings.Contains(p.body, "see the Service accounts page") {
		t.Fatalf("deleted service account page = %d\n%s", p.status, p.body)
	}
}
