package decision

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
)

// fixture is a small org exercising every rule: groups team ⊂ dept (nested), off
// (inactive) holding hal, admins (org owner: fay); ann direct only, ben via team, dan
// inactive, eve removed; service accounts bot (project owner) and root (org owner).
func fixture() *access.State {
	U, G, S := access.PrincipalUser, access.PrincipalGroup, access.PrincipalServiceAccount
	n := 0
	b := func(res string, t access.PrincipalType, p string, r access.Role) access.Binding {
		n++
		return access.Binding{ID: fmt.Sprintf("b%02d", n), ResourceID: res, PrincipalType: t, PrincipalID: p, Role: r}
	}
	u := func(id string, active, removed bool) access.User {
		return access.User{ID: "id-" + id, UserName: strings.ToUpper(id[:1]) + id[1:] + "@Example.com", Active: active, Removed: removed}
	}
	return &access.State{
		Users: []access.User{u("ann", true, false), u("ben", true, false), u("dan", false, false), u("eve", true, true),
			u("fay", true, false), u("hal", true, false)},
		Groups: []access.Group{{ID: "team", DisplayName: "team", Active: true}, {ID: "dept", DisplayName: "dept", Active: true},
			{ID: "off", DisplayName: "off", Active: false}, {ID: "admins", DisplayName: "admins", Active: true}},
		Memberships: []access.Membership{
			{GroupID: "team", MemberType: U, MemberID: "id-ben"}, {GroupID: "team", MemberType: U, MemberID: "id-dan"},
			{GroupID: "team", MemberType: U, MemberID: "id-eve"}, {GroupID: "dept", MemberType: G, MemberID: "team"},
			{GroupID: "off", MemberType: U, MemberID: "id-hal"}, {GroupID: "admins", MemberType: U, MemberID: "id-fay"},
		},
		ServiceAccounts: []access.ServiceAccount{{ID: "sa-bot", Name: "Bot"}, {ID: "sa-root", Name: "root"}},
		Resources: []access.Resource{
			{ID: "org", Kind: access.KindOrganization, Name: "Acme"},
			{ID: "c1", Kind: access.KindCloud, Name: "cloud-a"},
			{ID: "p1", Kind: access.KindProject, Name: "proj-a", ParentID: "c1"},
			{ID: "p2", Kind: access.KindProject, Name: "proj-b", ParentID: "c1"},
		},
		Bindings: []access.Binding{
			b("c1", U, "id-ann", access.RoleCollaborator), // b01: ann's cloud role does not reach projects
			b("p1", G, "dept", access.RoleCollaborator),   // b02: ben through team ⊂ dept
			b("p1", U, "id-dan", access.RoleOwner),        // b03: dan is inactive
			b("p1", U, "id-eve", access.RoleOwner),        // b04: eve is removed
			b("org", G, "admins", access.RoleOwner),       // b05: fay is org owner
			b("p2", G, "off", access.RoleOwner),           // b06: inactive group grants nothing
			b("p1", S, "sa-bot", access.RoleOwner),        // b07
			b("org", S, "sa-root", access.RoleOwner),      // b08
			b("p1", G, "team", access.RoleReadonly),       // b09
		},
	}
}

func newFixture(t *testing.T) *Index {
	t.Helper()
	ix := New(fixture(), 7)
	if err := ix.Apply(8, ActionsReplaced{Actions: []CustomAction{
		{Name: "deploy", Project: access.RoleCollaborator},
		{Name: "billing", Organization: access.RoleOwner},
	}}); err != nil {
		t.Fatal(err)
	}
	return ix
}

func user(name string) Subject    { return Subject{Type: SubjectUser, ID: name} }
func account(name string) Subject { return Subject{Type: SubjectServiceAccount, ID: name} }
func project(name string) Resource {
	return Resource{Kind: access.KindProject, Name: name}
}

func TestEvaluate(t *testing.T) {
	ix := newFixture(t)
	org := Resource{Kind: access.KindOrganization, Name: "acme"}
	cloud := Resource{Kind: access.KindCloud, Name: "CLOUD-A"}
	tests := []struct {
		name     string
		q        Query
		allowed  bool
		reason   Reason
		role     access.Role
		implicit bool
	}{
		{"nested group grants write", Query{Subject: user("ben@example.com"), Action: "write", Resource: project("proj-a")}, true, ReasonAllowed, access.RoleCollaborator, false},
		{"userName folds case", Query{Subject: user("BEN@EXAMPLE.COM"), Action: "read", Resource: project("PROJ-A")}, true, ReasonAllowed, access.RoleCollaborator, false},
		{"SCIM id with ByID", Query{Subject: Subject{Type: SubjectUser, ID: "id-ben", ByID: true}, Action: "read", Resource: project("proj-a")}, true, ReasonAllowed, access.RoleCollaborator, false},
		{"a SCIM id is not a userName", Query{Subject: user("id-ben"), Action: "read", Resource: project("proj-a")}, false, ReasonUnknownSubject, access.RoleNone, false},
		{"a userName is not a SCIM id", Query{Subject: Subject{Type: SubjectUser, ID: "ben@example.com", ByID: true}, Action: "read", Resource: project("proj-a")}, false, ReasonUnknownSubject, access.RoleNone, false},
		{"collaborator may not delete", Query{Subject: user("ben@example.com"), Action: "delete", Resource: project("proj-a")}, false, ReasonInsufficientRole, access.RoleCollaborator, false},
		{"role name as action", Query{Subject: user("ben@example.com"), Action: "collaborator", Resource: project("proj-a")}, true, ReasonAllowed, access.RoleCollaborator, false},
		{"role name above the role", Query{Subject: user("ben@example.com"), Action: "owner", Resource: project("proj-a")}, false, ReasonInsufficientRole, access.RoleCollaborator, false},
		{"cloud role does not reach projects", Query{Subject: user("ann@example.com"), Action: "read", Resource: project("proj-a")}, false, ReasonInsufficientRole, access.RoleNone, false},
		{"cloud role on the cloud", Query{Subject: user("ann@example.com"), Action: "write", Resource: cloud}, true, ReasonAllowed, access.RoleCollaborator, false},
		{"org owner is implicit owner", Query{Subject: user("fay@example.com"), Action: "manage", Resource: project("proj-b")}, true, ReasonAllowed, access.RoleOwner, true},
		{"org owner on the org itself", Query{Subject: user("fay@example.com"), Action: "billing", Resource: org}, true, ReasonAllowed, access.RoleOwner, false},
		{"inactive user", Query{Subject: user("dan@example.com"), Action: "read", Resource: project("proj-a")}, false, ReasonSubjectInactive, access.RoleNone, false},
		{"removed user", Query{Subject: user("eve@example.com"), Action: "read", Resource: project("proj-a")}, false, ReasonSubjectRemoved, access.RoleNone, false},
		{"inactive group grants nothing", Query{Subject: user("hal@example.com"), Action: "read", Resource: project("proj-b")}, false, ReasonInsufficientRole, access.RoleNone, false},
		{"unknown user", Query{Subject: user("zed@example.com"), Action: "read", Resource: project("proj-a")}, false, ReasonUnknownSubject, access.RoleNone, false},
		{"unknown subject type", Query{Subject: Subject{Type: 9, ID: "x"}, Action: "read", Resource: project("proj-a")}, false, ReasonUnknownSubjectType, access.RoleNone, false},
		{"unknown resource", Query{Subject: user("ben@example.com"), Action: "read", Resource: project("nope")}, false, ReasonUnknownResource, access.RoleNone, false},
		{"unknown resource type", Query{Subject: user("ben@example.com"), Action: "read", Resource: Resource{Kind: 9, Name: "x"}}, false, ReasonUnknownResourceType, access.RoleNone, false},
		{"unknown action", Query{Subject: user("ben@example.com"), Action: "fly", Resource: project("proj-a")}, false, ReasonUnknownAction, access.RoleNone, false},
		{"actions are case-sensitive", Query{Subject: user("ben@example.com"), Action: "READ", Resource: project("proj-a")}, false, ReasonUnknownAction, access.RoleNone, false},
		{"custom action", Query{Subject: user("ben@example.com"), Action: "deploy", Resource: project("proj-a")}, true, ReasonAllowed, access.RoleCollaborator, false},
		{"custom action needs more", Query{Subject: user("ben@example.com"), Action: "deploy", Resource: project("proj-b")}, false, ReasonInsufficientRole, access.RoleNone, false},
		{"custom action not on this kind", Query{Subject: user("fay@example.com"), Action: "deploy", Resource: cloud}, false, ReasonActionNotDefined, access.RoleNone, false},
		{"service account binding", Query{Subject: account("bot"), Action: "manage", Resource: project("proj-a")}, true, ReasonAllowed, access.RoleOwner, false},
		{"service account is org collaborator", Query{Subject: account("BOT"), Action: "write", Resource: org}, true, ReasonAllowed, access.RoleCollaborator, true},
		{"service account not beyond", Query{Subject: account("bot"), Action: "read", Resource: project("proj-b")}, false, ReasonInsufficientRole, access.RoleNone, false},
		{"service account org owner", Query{Subject: account("root"), Action: "delete", Resource: project("proj-b")}, true, ReasonAllowed, access.RoleOwner, true},
		{"unknown service account", Query{Subject: account("ghost"), Action: "read", Resource: org}, false, ReasonUnknownSubject, access.RoleNone, false},
		{"a user is not a service account", Query{Subject: account("ben@example.com"), Action: "read", Resource: org}, false, ReasonUnknownSubject, access.RoleNone, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ix.Evaluate(tt.q)
			if d.Allowed != tt.allowed || d.Reason != tt.reason || d.Role != tt.role || d.Implicit != tt.implicit {
				t.Errorf("got allowed=%v reason=%s role=%v implicit=%v (%q), want %v %s %v %v",
					d.Allowed, d.Reason, d.Role, d.Implicit, d.Message(), tt.allowed, tt.reason, tt.role, tt.implicit)
			}
			if d.Revision != 8 {
				t.Errorf("revision %d, want 8", d.Revision)
			}
			if !d.Allowed && d.Message() == "" {
				t.Error("a deny without a message")
			}
			if got := string(d.AppendMessage([]byte("x"))); got != "x"+d.Message() {
				t.Errorf("AppendMessage = %q, want x + Message() = %q", got, "x"+d.Message())
			}
		})
	}
}

func TestExplain(t *testing.T) {
	ix := newFixture(t)
	d := ix.Evaluate(Query{Subject: user("ben@example.com"), Action: "read", Resource: project("proj-a"), Explain: true})
	want := []access.Source{
		{Kind: access.SourceGroup, Role: access.RoleCollaborator, BindingID: "b02", GroupID: "dept", GroupName: "dept", Path: []string{"team", "dept"}},
		{Kind: access.SourceGroup, Role: access.RoleReadonly, BindingID: "b09", GroupID: "team", GroupName: "team", Path: []string{"team"}},
	}
	if !slices.EqualFunc(d.Sources, want, sourceEqual) {
		t.Errorf("ben's sources:\n got %+v\nwant %+v", d.Sources, want)
	}
	d = ix.Evaluate(Query{Subject: user("fay@example.com"), Action: "read", Resource: project("proj-a"), Explain: true})
	if len(d.Sources) != 1 || d.Sources[0].Kind != access.SourceImplicitOwner {
		t.Errorf("fay's sources: %+v, want implicit org owner", d.Sources)
	}
	d = ix.Evaluate(Query{Subject: account("bot"), Action: "read", Resource: Resource{Kind: access.KindOrganization, Name: "Acme"}, Explain: true})
	if !d.ImplicitCollaborator || len(d.Sources) != 0 {
		t.Errorf("bot on the org: implicit collaborator %v, sources %+v", d.ImplicitCollaborator, d.Sources)
	}
	d = ix.Evaluate(Query{Subject: user("ben@example.com"), Action: "read", Resource: project("proj-a")})
	if d.Sources != nil {
		t.Errorf("sources without Explain: %+v", d.Sources)
	}
}

// TestPublicProject: making proj-b (in cloud-a) public makes ann, who holds collaborator
// on cloud-a, an implicit collaborator there, listed by every search and explained as a
// public-project source; making it private again takes that away. ben (no cloud role)
// gains nothing, fay stays implicit owner.
func TestPublicProject(t *testing.T) {
	ix := newFixture(t)
	if err := ix.Apply(9, ResourceUpserted{ID: "p2", Kind: access.KindProject, Name: "proj-b", ParentID: "c1", Public: true}); err != nil {
		t.Fatal(err)
	}
	d := ix.Evaluate(Query{Subject: user("ann@example.com"), Action: "write", Resource: project("proj-b"), Explain: true})
	if !d.Allowed || d.Role != access.RoleCollaborator || !d.Implicit || !d.Public {
		t.Errorf("ann on public proj-b: allowed=%v role=%v implicit=%v public=%v (%s)", d.Allowed, d.Role, d.Implicit, d.Public, d.Message())
	}
	if want := []access.Source{{Kind: access.SourcePublicProject, Role: access.RoleCollaborator}}; !slices.EqualFunc(d.Sources, want, sourceEqual) {
		t.Errorf("ann's sources on proj-b: %+v", d.Sources)
	}
	if d := ix.Evaluate(Query{Subject: user("ann@example.com"), Action: "delete", Resource: project("proj-b")}); d.Allowed {
		t.Error("a public project gives only collaborator, yet ann may delete")
	}
	if d := ix.Evaluate(Query{Subject: user("ben@example.com"), Action: "read", Resource: project("proj-b")}); d.Allowed {
		t.Error("ben holds no cloud role, yet reads the public project")
	}
	if d := ix.Evaluate(Query{Subject: user("fay@example.com"), Action: "read", Resource: project("proj-b")}); d.Role != access.RoleOwner || d.Public {
		t.Errorf("fay on proj-b: %v public=%v, want implicit owner", d.Role, d.Public)
	}
	subjects := ix.SearchSubjects(SubjectUser, "write", project("proj-b"), Page{})
	var names []string
	for _, s := range subjects.Items {
		names = append(names, s.Name)
	}
	if want := []string{"Ann@Example.com", "Fay@Example.com"}; !slices.Equal(names, want) {
		t.Errorf("who may write proj-b: %q, want %q", names, want)
	}
	if got := ix.SearchResources(user("ann@example.com"), "write", access.KindProject, Page{}); len(got.Items) != 1 || got.Items[0].Name != "proj-b" {
		t.Errorf("ann's writable projects: %+v", got.Items)
	}
	if err := ix.Apply(10, ResourceUpserted{ID: "p2", Kind: access.KindProject, Name: "proj-b", ParentID: "c1"}); err != nil {
		t.Fatal(err)
	}
	if d := ix.Evaluate(Query{Subject: user("ann@example.com"), Action: "read", Resource: project("proj-b")}); d.Allowed {
		t.Error("proj-b is private again, yet ann reads it")
	}
}

func TestApply(t *testing.T) {
	ix := newFixture(t)
	ben := Query{Subject: user("ben@example.com"), Action: "write", Resource: project("proj-a")}
	steps := []struct {
		name    string
		changes []Change
		allowed bool
	}{
		{"deactivate dept", []Change{GroupUpserted{ID: "dept", DisplayName: "dept", Active: false}}, false},
		{"reactivate", []Change{GroupUpserted{ID: "dept", DisplayName: "dept", Active: true}}, true},
		{"take team out of dept", []Change{MembershipRemoved{GroupID: "dept", MemberType: access.PrincipalGroup, MemberID: "team"}}, false},
		{"grant directly", []Change{BindingAdded{ID: "x1", ResourceID: "p1", PrincipalType: access.PrincipalUser, PrincipalID: "id-ben", Role: access.RoleOwner}}, true},
		{"revoke", []Change{BindingRemoved{ID: "x1"}}, false},
		{"rename the user", []Change{UserUpserted{ID: "id-ben", UserName: "benjamin@example.com", Active: true},
			BindingAdded{ID: "x2", ResourceID: "p1", PrincipalType: access.PrincipalUser, PrincipalID: "id-ben", Role: access.RoleOwner}}, false},
		{"a new user takes the old name", []Change{UserUpserted{ID: "id-ben2", UserName: "Ben@example.com", Active: true},
			MembershipAdded{GroupID: "dept", MemberType: access.PrincipalUser, MemberID: "id-ben2"}}, true},
		{"the project is renamed away", []Change{ResourceUpserted{ID: "p1", Kind: access.KindProject, Name: "proj-z", ParentID: "c1"}}, false},
		{"another project takes the name", []Change{ResourceUpserted{ID: "p3", Kind: access.KindProject, Name: "proj-a", ParentID: "c1"},
			BindingAdded{ID: "x3", ResourceID: "p3", PrincipalType: access.PrincipalGroup, PrincipalID: "admins", Role: access.RoleOwner},
			MembershipAdded{GroupID: "admins", MemberType: access.PrincipalUser, MemberID: "id-ben2"}}, true},
		{"user deleted", []Change{UserDeleted{ID: "id-ben2"}}, false},
	}
	rev := ix.Revision()
	for _, st := range steps {
		rev++
		if err := ix.Apply(rev, st.changes...); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if d := ix.Evaluate(ben); d.Allowed != st.allowed || d.Revision != rev {
			t.Fatalf("%s: allowed=%v at %d (%s), want %v at %d", st.name, d.Allowed, d.Revision, d.Message(), st.allowed, rev)
		}
	}
	bad := []Change{
		BindingAdded{ID: "y", ResourceID: "p1", PrincipalType: access.PrincipalUser, PrincipalID: "id-ann", Role: access.RoleNone},
		MembershipAdded{GroupID: "team", MemberType: access.PrincipalServiceAccount, MemberID: "sa-bot"},
		ResourceUpserted{ID: "r"},
		UserUpserted{UserName: "no-id"},
		ActionsReplaced{Actions: []CustomAction{{Name: "read", Project: access.RoleOwner}}},
		ActionsReplaced{Actions: []CustomAction{{Name: "x"}}},
		nil,
	}
	for _, c := range bad {
		before := ix.Revision()
		grant := BindingAdded{ID: "ok", ResourceID: "p2", PrincipalType: access.PrincipalUser, PrincipalID: "id-ann", Role: access.RoleOwner}
		if err := ix.Apply(before+1, grant, c); !errors.Is(err, ErrInvalidChange) {
			t.Errorf("%#v: %v, want ErrInvalidChange", c, err)
		}
		if ix.Revision() != before || ix.Evaluate(Query{Subject: user("ann@example.com"), Action: "read", Resource: project("proj-b")}).Allowed {
			t.Errorf("%#v: a refused batch changed the index", c)
		}
	}
	if err := ix.Apply(rev, UserDeleted{ID: "id-ann"}); !errors.Is(err, ErrStaleRevision) {
		t.Errorf("stale revision: %v", err)
	}
}

// TestApplyIsAtomicForReaders moves an owner binding from ann to ben in batches (remove and
// add in one batch) while readers check that exactly one of them holds it.
func TestApplyIsAtomicForReaders(t *testing.T) {
	ix := newFixture(t)
	names := []string{"ann@example.com", "ben@example.com"}
	ids := []string{"id-ann", "id-ben"}
	ix.Apply(ix.Revision()+1, BindingAdded{ID: "m0", ResourceID: "p2", PrincipalType: access.PrincipalUser, PrincipalID: ids[0], Role: access.RoleOwner})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var failures sync.Map
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ix.Read(func(v View) {
					n := 0
					for _, name := range names {
						if v.Evaluate(Query{Subject: user(name), Action: "owner", Resource: project("proj-b")}).Allowed {
							n++
						}
					}
					if n != 1 {
						failures.Store(v.Revision(), n)
					}
				})
			}
		}()
	}
	for i := 1; i <= 300; i++ {
		err := ix.Apply(ix.Revision()+1, BindingRemoved{ID: fmt.Sprint("m", i-1)},
			BindingAdded{ID: fmt.Sprint("m", i), ResourceID: "p2", PrincipalType: access.PrincipalUser, PrincipalID: ids[i%2], Role: access.RoleOwner})
		if err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	failures.Range(func(k, v any) bool {
		t.Errorf("revision %v: %v owners, want exactly 1", k, v)
		return true
	})
}

func TestSearch(t *testing.T) {
	ix := newFixture(t)
	subjects := ix.SearchSubjects(SubjectUser, "read", project("proj-a"), Page{})
	var got []string
	for _, s := range subjects.Items {
		got = append(got, s.Name)
	}
	// ben (group), fay (org owner); dan inactive and eve removed are never listed.
	if want := []string{"Ben@Example.com", "Fay@Example.com"}; !slices.Equal(got, want) || subjects.Next != "" {
		t.Errorf("subjects: %q next %q, want %q", got, subjects.Next, want)
	}
	accounts := ix.SearchSubjects(SubjectServiceAccount, "manage", project("proj-a"), Page{})
	if len(accounts.Items) != 2 || accounts.Items[0].Name != "Bot" || accounts.Items[1].Name != "root" {
		t.Errorf("accounts: %+v", accounts.Items)
	}
	first := ix.SearchResources(user("fay@example.com"), "delete", access.KindProject, Page{Limit: 1})
	if len(first.Items) != 1 || first.Items[0].Name != "proj-a" || first.Next == "" {
		t.Fatalf("first page: %+v", first)
	}
	second := ix.SearchResources(user("fay@example.com"), "delete", access.KindProject, Page{After: first.Next, Limit: 1})
	if len(second.Items) != 1 || second.Items[0].Name != "proj-b" || second.Next != "" {
		t.Errorf("second page: %+v", second)
	}
	actions := ix.SearchActions(user("ben@example.com"), project("proj-a"), Page{})
	if want := []string{"collaborator", "deploy", "read", "readonly", "write"}; !slices.Equal(actions.Items, want) {
		t.Errorf("actions: %q, want %q", actions.Items, want)
	}
	for _, r := range []Results[string]{
		ix.SearchActions(user("dan@example.com"), project("proj-a"), Page{}),
		ix.SearchActions(user("nobody"), project("proj-a"), Page{}),
	} {
		if len(r.Items) != 0 || r.Reason == "" {
			t.Errorf("inactive or unknown subject: %+v", r)
		}
	}
	if r := ix.SearchResources(user("ben@example.com"), "fly", access.KindProject, Page{}); len(r.Items) != 0 || r.Reason != ReasonUnknownAction {
		t.Errorf("unknown action: %+v", r)
	}
}

// TestSizeBytes checks the estimate against what the runtime says a medium index holds
// (the State's strings counted too, as SizeBytes counts them).
func TestSizeBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-user state")
	}
	build := func() *access.State {
		s := &access.State{Resources: []access.Resource{{ID: "org", Kind: access.KindOrganization, Name: "org"}}}
		for i := range 200 {
			s.Resources = append(s.Resources, access.Resource{ID: fmt.Sprintf("p-%08d", i), Kind: access.KindProject, Name: fmt.Sprintf("Proj-%d", i)})
		}
		for i := range 500 {
			s.Groups = append(s.Groups, access.Group{ID: fmt.Sprintf("g-%08d", i), DisplayName: fmt.Sprintf("group-%d", i), Active: true})
		}
		for i := range 10000 {
			uid := fmt.Sprintf("u-%08d-0000-0000-0000-000000000000", i)
			s.Users = append(s.Users, access.User{ID: uid, UserName: fmt.Sprintf("User%d@example.com", i), Active: true})
			for k := range 10 {
				s.Memberships = append(s.Memberships, access.Membership{GroupID: fmt.Sprintf("g-%08d", (i*7+k*13)%500), MemberType: access.PrincipalUser, MemberID: uid})
			}
			for k := range 5 {
				s.Bindings = append(s.Bindings, access.Binding{ID: fmt.Sprintf("b-%d-%d", i, k), ResourceID: fmt.Sprintf("p-%08d", (i+k)%200),
					PrincipalType: access.PrincipalUser, PrincipalID: uid, Role: access.RoleReadonly})
			}
		}
		return s
	}
	before := heapInUse()
	ix := New(build(), 1) // the State is garbage once New returns
	held := int64(heapInUse() - before)
	est := ix.SizeBytes()
	if est < held*6/10 || est > held*16/10 {
		t.Errorf("SizeBytes %d, runtime says %d", est, held)
	}
	t.Logf("SizeBytes %d, runtime %d", est, held)
}
