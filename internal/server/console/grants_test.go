package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/store"
)

// bindingsOn lists the bindings of principal on resource, straight from the store.
func (e *uiEnv) bindingsOn(resource string, pt store.PrincipalType, principal string) []store.Binding {
	e.t.Helper()
	var bs []store.Binding
	err := e.st.View(context.Background(), func(tx store.Tx) (err error) {
		bs, err = tx.ListBindings(context.Background(), e.orgID, store.BindingFilter{ResourceID: resource, PrincipalType: pt, PrincipalID: principal})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return bs
}

// lastAudit is the newest audit event with action.
func (e *uiEnv) lastAudit(action string) store.AuditEvent {
	e.t.Helper()
	var es []store.AuditEvent
	err := e.st.View(context.Background(), func(tx store.Tx) (err error) {
		es, _, err = tx.ListAudit(context.Background(), e.orgID, store.AuditQuery{Action: action, Page: store.Page{Limit: 1}})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(es) == 0 {
		e.t.Fatalf("no %s audit event", action)
	}
	return es[0]
}

// followFlash checks that r redirects to want and that the page there shows banner once.
func (e *uiEnv) followFlash(r uiResp, want, banner string) {
	e.t.Helper()
	if r.status != http.StatusSeeOther || r.location() != want {
		e.t.Fatalf("POST = %d → %q, want 303 → %q\n%s", r.status, r.location(), want, r.body)
	}
	page := e.get(want)
	if !strings.Contains(page.body, banner) {
		e.t.Fatalf("page %s does not show %q:\n%s", want, banner, page.body)
	}
	if again := e.get(want); strings.Contains(again.body, banner) {
		e.t.Fatalf("the banner %q is shown twice", banner)
	}
}

var grantRoleAction = regexp.MustCompile(`action="/ui/grants/([^/"]+)/role"`)

func TestUIGrantChangeRoleRevoke(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	cloud := e.ids["cloud-staging"]
	back := "/ui/clouds/" + cloud
	group := e.ids["group-backend"]

	r := e.post("/ui/grants", url.Values{"csrf": {csrf}, "back": {back}, "resourceKind": {"cloud"}, "resource": {cloud},
		"principalType": {"group"}, "principal": {"backend"}, "role": {"readonly"}})
	e.followFlash(r, back, "Granted readonly on cloud “staging-cloud” to group “backend”.")
	bs := e.bindingsOn(cloud, store.PrincipalGroup, group)
	if len(bs) != 1 || bs[0].Role != "readonly" {
		t.Fatalf("bindings after grant: %+v", bs)
	}
	if ev := e.lastAudit(audit.ActionGrantCreate); ev.Actor != uiTestTokenName {
		t.Errorf("grant audited as %q, want the session's token name %q", ev.Actor, uiTestTokenName)
	}

	// The same grant again changes nothing and says so.
	r = e.post("/ui/grants", url.Values{"csrf": {csrf}, "back": {back}, "resourceKind": {"cloud"}, "resource": {cloud},
		"principalType": {"group"}, "principal": {"backend"}, "role": {"readonly"}})
	e.followFlash(r, back, "Group “backend” already holds readonly on cloud “staging-cloud”; nothing was changed.")

	// Change role: the page's row form, one binding afterwards, one audit event.
	page := e.get(back)
	var id string
	for _, m := range grantRoleAction.FindAllStringSubmatch(page.body, -1) {
		if m[1] == bs[0].ID {
			id = m[1]
		}
	}
	if id == "" {
		t.Fatalf("no change-role form for grant %s on %s:\n%s", bs[0].ID, back, page.body)
	}
	r = e.post("/ui/grants/"+id+"/role", url.Values{"csrf": {csrf}, "back": {back}, "role": {"owner"}})
	e.followFlash(r, back, "Changed the role of group “backend” on cloud “staging-cloud” from readonly to owner.")
	bs = e.bindingsOn(cloud, store.PrincipalGroup, group)
	if len(bs) != 1 || bs[0].Role != "owner" {
		t.Fatalf("bindings after change of role: %+v", bs)
	}
	if ev := e.lastAudit(audit.ActionGrantChangeRole); ev.Actor != uiTestTokenName || ev.TargetID != bs[0].ID {
		t.Errorf("change of role audited as %+v", ev)
	}

	// A role not valid on the kind is refused in console words.
	r = e.post("/ui/grants/"+bs[0].ID+"/role", url.Values{"csrf": {csrf}, "back": {back}, "role": {"admin"}})
	e.followFlash(r, back, "Nothing was changed: unknown role")

	// Revoke.
	r = e.post("/ui/grants/"+bs[0].ID+"/revoke", url.Values{"csrf": {csrf}, "back": {back}})
	e.followFlash(r, back, "Revoked owner on cloud “staging-cloud” from group “backend”.")
	if bs := e.bindingsOn(cloud, store.PrincipalGroup, group); len(bs) != 0 {
		t.Fatalf("bindings after revoke: %+v", bs)
	}
	if ev := e.lastAudit(audit.ActionGrantRevoke); ev.Actor != uiTestTokenName {
		t.Errorf("revoke audited as %q", ev.Actor)
	}

	// The audit log reads as sentences, finds the grants by the group's plain name and an
	// action prefix, and keeps the ids on hover.
	log := e.get("/ui/audit?target=backend&action=grant.")
	for _, w := range []string{
		uiTestTokenName + " revoked owner on staging-cloud from group backend",
		uiTestTokenName + " changed group backend&#39;s role on staging-cloud from readonly to owner",
		uiTestTokenName + " granted readonly on staging-cloud to group backend",
		`title="` + bs[0].ID + `">grant owner on staging-cloud to group backend`,
		"Showing 1–3 of 3",
	} {
		if !strings.Contains(log.body, w) {
			t.Errorf("the audit page lacks %q:\n%s", w, log.body)
		}
	}
}

func TestUIGrantFromGroupPage(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	group := e.ids["group-developers"]
	back := "/ui/groups/" + group
	page := e.get(back)
	where := "project:" + e.ids["project-1"]
	if !strings.Contains(page.body, `value="`+where+`"`) {
		t.Fatalf("the group page offers no %s:\n%s", where, page.body)
	}
	r := e.post("/ui/grants", url.Values{"csrf": {csrf}, "back": {back}, "principalType": {"group"}, "principal": {group},
		"where": {where}, "role": {"collaborator"}})
	e.followFlash(r, back, "Granted collaborator on project “proj-1” to group “developers”.")
	r = e.post("/ui/grants", url.Values{"csrf": {csrf}, "back": {back}, "principalType": {"group"}, "principal": {group},
		"where": {"organization:"}, "role": {"readonly"}})
	// readonly is not a role on the organization: the refusal lists the valid ones.
	e.followFlash(r, back, "is not valid on an organization; valid roles: owner, collaborator")
}

func TestUIGrantRefusals(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	cloud := e.ids["cloud-dev"]
	back := "/ui/clouds/" + cloud
	form := func(pt, who, role string) url.Values {
		return url.Values{"csrf": {csrf}, "back": {back}, "resourceKind": {"cloud"}, "resource": {cloud},
			"principalType": {pt}, "principal": {who}, "role": {role}}
	}

	// An unknown group: the hint names the console page, not a CLI command.
	r := e.post("/ui/grants", form("group", "no-such-group", "readonly"))
	e.followFlash(r, back, "(see the Groups page)")

	// Groups-only mode: a direct user grant is refused with what to do in the console.
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test-setup"})
	if err := e.st.Update(ctx, func(tx store.Tx) error {
		st, err := tx.Settings(ctx, e.orgID)
		if err != nil {
			return err
		}
		st.GroupsOnly = true
		return tx.PutSettings(ctx, st)
	}); err != nil {
		t.Fatal(err)
	}
	r = e.post("/ui/grants", form("user", "user1@example.com", "readonly"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("groups-only grant = %d", r.status)
	}
	page := e.get(back)
	for _, want := range []string{"groups-only mode is on", "from that group&#39;s page", "this user is in backend"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("groups-only refusal lacks %q:\n%s", want, page.body)
		}
	}
	if strings.Contains(page.body, "rolecall grant") || strings.Contains(page.body, "--group") {
		t.Errorf("groups-only refusal speaks of CLI commands:\n%s", page.body)
	}
	if bs := e.bindingsOn(cloud, store.PrincipalUser, e.ids["user-1"]); len(bs) != 0 {
		t.Fatalf("groups-only mode let a direct grant through: %+v", bs)
	}

	// Without the session's CSRF token nothing is granted.
	f := form("group", "backend", "readonly")
	f.Del("csrf")
	if r := e.post("/ui/grants", f); r.status != http.StatusForbidden {
		t.Fatalf("grant without CSRF = %d", r.status)
	}
	if bs := e.bindingsOn(cloud, store.PrincipalGroup, e.ids["group-backend"]); len(bs) != 0 {
		t.Fatalf("a grant without CSRF went through: %+v", bs)
	}

	// "back" stays inside the console.
	f = form("group", "backend", "readonly")
	f.Set("back", "https://evil.example/")
	if r := e.post("/ui/grants", f); r.status != http.StatusSeeOther || r.location() != "/ui/users" {
		t.Fatalf("grant with an outside back = %d → %q", r.status, r.location())
	}
}

func TestUIGrantFromUserAndServiceAccountPages(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	user := e.ids["user-2"]
	back := "/ui/users/" + user
	r := e.post("/ui/grants", url.Values{"csrf": {csrf}, "back": {back}, "principalType": {"user"}, "principal": {user},
		"where": {"project:" + e.ids["project-2"]}, "role": {"readonly"}})
	e.followFlash(r, back, "Granted readonly on project “proj-2” to user “user2@example.com”.")
	bs := e.bindingsOn(e.ids["project-2"], store.PrincipalUser, user)
	if len(bs) != 1 {
		t.Fatalf("bindings: %+v", bs)
	}
	if page := e.get(back); !strings.Contains(page.body, `action="/ui/grants/`+bs[0].ID+`/role"`) {
		t.Fatalf("the user page does not list its direct grant with its actions:\n%s", page.body)
	}
	r = e.post("/ui/grants/"+bs[0].ID+"/role", url.Values{"csrf": {csrf}, "back": {back}, "role": {"collaborator"}})
	e.followFlash(r, back, "from readonly to collaborator")

	account := e.ids["sa-ci-deployer"]
	sback := "/ui/service-accounts/" + account
	if page := e.get("/ui/service-accounts"); !strings.Contains(page.body, `href="`+sback+`"`) {
		t.Fatalf("the service accounts page does not link %s", sback)
	}
	r = e.post("/ui/grants", url.Values{"csrf": {csrf}, "back": {sback}, "principalType": {"service_account"}, "principal": {account},
		"where": {"cloud:" + e.ids["cloud-prod"]}, "role": {"owner"}})
	e.followFlash(r, sback, "Granted owner on cloud “prod-cloud” to service account “ci-deployer”.")
	if page := e.get(sback); !strings.Contains(page.body, "prod-cloud") || !strings.Contains(page.body, "Change role") {
		t.Fatalf("the service account page does not show its grant:\n%s", page.body)
	}

	// In groups-only mode the user page offers no grant form and says why, in console words.
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test-setup"})
	if err := e.st.Update(ctx, func(tx store.Tx) error {
		st, err := tx.Settings(ctx, e.orgID)
		if err != nil {
			return err
		}
		st.GroupsOnly = true
		return tx.PutSettings(ctx, st)
	}); err != nil {
		t.Fatal(err)
	}
	page := e.get(back)
	if strings.Contains(page.body, `name="where"`) || !strings.Contains(page.body, "Groups-only mode is on") {
		t.Fatalf("groups-only user page:\n%s", page.body)
	}
	// A change of a user's direct grant would be a new direct grant: refused too.
	r = e.post("/ui/grants/"+e.bindingsOn(e.ids["project-2"], store.PrincipalUser, user)[0].ID+"/role",
		url.Values{"csrf": {csrf}, "back": {back}, "role": {"owner"}})
	e.followFlash(r, back, "groups-only mode is on")
}

// A second role for a principal on a resource is refused with what exists, until "Replace
// the existing role" is ticked: then it is a change of role in one step. The user's page
// marks grants that another source covers as redundant.
func TestUIGrantReplaceAndRedundant(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	cloud := e.ids["cloud-staging"]
	back := "/ui/clouds/" + cloud
	user := e.ids["user-1"]
	if page := e.get(back); !strings.Contains(page.body, `name="replace"`) || !strings.Contains(page.body, "Replace the existing role") {
		t.Fatalf("the grant form offers no replace choice:\n%s", page.body)
	}
	if page := e.get("/ui/users/" + user); !strings.Contains(page.body, "redundant: org ownership (owner) already gives as much") {
		t.Fatalf("user1's direct owner grant on staging-cloud is not marked redundant:\n%s", page.body)
	}

	form := url.Values{"csrf": {csrf}, "back": {back}, "resourceKind": {"cloud"}, "resource": {cloud},
		"principalType": {"user"}, "principal": {"user1@example.com"}, "role": {"readonly"}}
	r := e.post("/ui/grants", form)
	e.followFlash(r, back, "Nothing was changed: User “user1@example.com” already holds owner (granted by seed at ")
	if bs := e.bindingsOn(cloud, store.PrincipalUser, user); len(bs) != 1 || bs[0].Role != "owner" {
		t.Fatalf("bindings after the refused grant: %+v", bs)
	}

	form.Set("replace", "1")
	r = e.post("/ui/grants", form)
	e.followFlash(r, back, "Changed the role of user “user1@example.com” on cloud “staging-cloud” from owner to readonly.")
	bs := e.bindingsOn(cloud, store.PrincipalUser, user)
	if len(bs) != 1 || bs[0].Role != "readonly" {
		t.Fatalf("bindings after the replace: %+v", bs)
	}
	if ev := e.lastAudit(audit.ActionGrantChangeRole); ev.Actor != uiTestTokenName || ev.TargetID != bs[0].ID {
		t.Errorf("replace audited as %+v", ev)
	}
}
