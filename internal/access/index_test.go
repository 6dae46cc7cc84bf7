package access

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fixture is a small org exercising every rule:
//
//	groups: team ⊂ dept ⊂ div (3 levels), solo, off (inactive) ⊂ top, mid (inactive) in
//	    the chain low ⊂ mid ⊂ high, admins (org owner).
//	users: ann (direct only), ben (team), cat (low), dan (inactive, in team), eve (removed,
//	    in team), fay (admins: org owner), gus (solo + direct: highest role wins), hal (off).
func fixture() *State {
	u := func(id string, active, removed bool) User {
		return User{ID: id, UserName: id + "@example.com", Active: active, Removed: removed}
	}
	g := func(id string, active bool) Group { return Group{ID: id, DisplayName: id, Active: active} }
	m := func(grp string, t PrincipalType, id string) Membership {
		return Membership{GroupID: grp, MemberType: t, MemberID: id}
	}
	n := 0
	b := func(res string, t PrincipalType, p string, r Role) Binding {
		n++
		return Binding{ID: fmt.Sprintf("b%02d", n), ResourceID: res, PrincipalType: t, PrincipalID: p, Role: r}
	}
	U, G, S := PrincipalUser, PrincipalGroup, PrincipalServiceAccount
	return &State{
		Users: []User{u("ann", true, false), u("ben", true, false), u("cat", true, false), u("dan", false, false),
			u("eve", false, true), u("fay", true, false), u("gus", true, false), u("hal", true, false)},
		Groups: []Group{g("team", true), g("dept", true), g("div", true), g("solo", true), g("off", false), g("top", true),
			g("low", true), g("mid", false), g("high", true), g("admins", true)},
		Memberships: []Membership{
			m("team", U, "ben"), m("team", U, "dan"), m("team", U, "eve"), m("dept", G, "team"), m("div", G, "dept"),
			m("low", U, "cat"), m("mid", G, "low"), m("high", G, "mid"),
			m("admins", U, "fay"), m("solo", U, "gus"), m("off", U, "hal"), m("top", G, "off"),
		},
		ServiceAccounts: []ServiceAccount{{ID: "bot", Name: "bot"}, {ID: "root", Name: "root-bot"}},
		Resources: []Resource{
			{ID: "org", Kind: KindOrganization, Name: "acme"},
			{ID: "c1", Kind: KindCloud, Name: "cloud-a"}, {ID: "c2", Kind: KindCloud, Name: "cloud-b"},
			{ID: "p1", Kind: KindProject, Name: "proj-a", ParentID: "c1"}, {ID: "p2", Kind: KindProject, Name: "proj-b", ParentID: "c2"},
		},
		Bindings: []Binding{
			b("c1", U, "ann", RoleCollaborator),   // b01
			b("p1", G, "team", RoleReadonly),      // b02
			b("p1", G, "dept", RoleCollaborator),  // b03
			b("c2", G, "div", RoleOwner),          // b04
			b("c1", G, "high", RoleOwner),         // b05: unreachable for cat (mid inactive)
			b("c1", G, "low", RoleReadonly),       // b06
			b("c1", U, "dan", RoleOwner),          // b07
			b("c1", U, "eve", RoleOwner),          // b08
			b("org", G, "admins", RoleOwner),      // b09
			b("p2", U, "gus", RoleReadonly),       // b10
			b("p2", G, "solo", RoleOwner),         // b11
			b("p2", U, "gus", RoleCollaborator),   // b12
			b("c2", G, "off", RoleOwner),          // b13: inactive group grants nothing
			b("c2", G, "top", RoleCollaborator),   // b14: hal is not in top (off is inactive)
			b("p1", S, "bot", RoleOwner),          // b15
			b("org", S, "root", RoleOwner),        // b16
			b("c1", U, "fay", RoleReadonly),       // b17
			b("org", G, "team", RoleCollaborator), // b18
		},
	}
}

func TestEffectiveRole(t *testing.T) {
	ix := NewIndex(fixture())
	tests := []struct {
		name, user, res string
		want            Access
	}{
		{"direct only", "ann", "c1", Access{Role: RoleCollaborator}},
		{"direct only, elsewhere nothing", "ann", "c2", Access{}},
		{"via group, highest of two levels", "ben", "p1", Access{Role: RoleCollaborator}},
		{"via nested group, 3 levels", "ben", "c2", Access{Role: RoleOwner}},
		{"via group on the org", "ben", "org", Access{Role: RoleCollaborator}},
		{"inactive group in the middle of a chain", "cat", "c1", Access{Role: RoleReadonly}},
		{"inactive group neither grants nor passes on", "hal", "c2", Access{}},
		{"inactive user holds nothing", "dan", "c1", Access{}},
		{"inactive user holds nothing through groups", "dan", "p1", Access{}},
		{"removed user holds nothing", "eve", "c1", Access{}},
		{"org owner is owner of the org", "fay", "org", Access{Role: RoleOwner}},
		{"org owner implicit on a cloud above its binding", "fay", "c1", Access{Role: RoleOwner, Implicit: true}},
		{"org owner implicit on a cloud", "fay", "c2", Access{Role: RoleOwner, Implicit: true}},
		{"org owner implicit on a project", "fay", "p2", Access{Role: RoleOwner, Implicit: true}},
		{"highest role wins: group owner over direct", "gus", "p2", Access{Role: RoleOwner}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ix.EffectiveRole(tc.user, tc.res)
			if err != nil || got != tc.want {
				t.Errorf("EffectiveRole(%s, %s) = %+v, %v; want %+v", tc.user, tc.res, got, err, tc.want)
			}
		})
	}
	if _, err := ix.EffectiveRole("nobody", "c1"); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := ix.EffectiveRole("ann", "nowhere"); !errors.Is(err, ErrUnknownResource) {
		t.Errorf("unknown resource: %v", err)
	}
}

func TestServiceAccountRole(t *testing.T) {
	ix := NewIndex(fixture())
	tests := []struct {
		sa, res string
		want    Access
	}{
		{"bot", "org", Access{Role: RoleCollaborator, Implicit: true}},
		{"bot", "p1", Access{Role: RoleOwner}},
		{"bot", "c1", Access{}},
		{"root", "org", Access{Role: RoleOwner}},
		{"root", "p2", Access{Role: RoleOwner, Implicit: true}},
	}
	for _, tc := range tests {
		got, err := ix.ServiceAccountRole(tc.sa, tc.res)
		if err != nil || got != tc.want {
			t.Errorf("ServiceAccountRole(%s, %s) = %+v, %v; want %+v", tc.sa, tc.res, got, err, tc.want)
		}
	}
	if _, err := ix.ServiceAccountRole("ghost", "org"); !errors.Is(err, ErrUnknownServiceAccount) {
		t.Errorf("unknown account: %v", err)
	}
	got, _ := ix.ServiceAccountAccess("bot")
	want := []Grant{
		{ResourceID: "org", Name: "acme", Kind: KindOrganization, Access: Access{Role: RoleCollaborator, Implicit: true}},
		{ResourceID: "p1", Name: "proj-a", Kind: KindProject, ParentID: "c1", Access: Access{Role: RoleOwner}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ServiceAccountAccess(bot) = %+v", got)
	}
}

func TestUserGroupsAndAccess(t *testing.T) {
	ix := NewIndex(fixture())
	names := func(id string) []string {
		gs, err := ix.UserGroups(id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, g := range gs {
			out = append(out, g.DisplayName)
		}
		return out
	}
	for user, want := range map[string][]string{
		"ben": {"dept", "div", "team"}, "cat": {"low"}, "hal": nil, "ann": nil, "dan": {"dept", "div", "team"},
	} {
		if got := names(user); !slices.Equal(got, want) {
			t.Errorf("UserGroups(%s) = %v, want %v", user, got, want)
		}
	}
	got, _ := ix.UserAccess("fay")
	if len(got) != 5 || got[0].Kind != KindOrganization || !got[1].Implicit || got[1].Name != "cloud-a" || got[4].Name != "proj-b" {
		t.Errorf("UserAccess(fay) = %+v", got)
	}
	if got, _ := ix.UserAccess("dan"); len(got) != 0 {
		t.Errorf("inactive user has access %+v", got)
	}
}

func TestNestingCycleEnds(t *testing.T) {
	s := &State{
		Users:       []User{{ID: "u", UserName: "u", Active: true}},
		Groups:      []Group{{ID: "a", DisplayName: "a", Active: true}, {ID: "b", DisplayName: "b", Active: true}},
		Memberships: []Membership{{"a", "u", PrincipalUser}, {"b", "a", PrincipalGroup}, {"a", "b", PrincipalGroup}, {"a", "a", PrincipalGroup}},
		Resources:   []Resource{{ID: "c", Kind: KindCloud, Name: "c"}},
		Bindings:    []Binding{{ID: "x", ResourceID: "c", PrincipalType: PrincipalGroup, PrincipalID: "b", Role: RoleOwner}},
	}
	ix := NewIndex(s)
	if got, _ := ix.EffectiveRole("u", "c"); got.Role != RoleOwner {
		t.Errorf("role through a cycle = %v", got)
	}
	ex, _ := ix.Explain("u", "c")
	if len(ex.Sources) != 1 || !slices.Equal(ex.Sources[0].Path, []string{"a", "b"}) {
		t.Errorf("explain through a cycle = %+v", ex.Sources)
	}
}

func TestExplain(t *testing.T) {
	ix := NewIndex(fixture())
	tests := []struct {
		user, res string
		effective Access
		holds     bool
		sources   []Source
	}{
		{"ben", "p1", Access{Role: RoleCollaborator}, true, []Source{
			{Kind: SourceGroup, Role: RoleCollaborator, BindingID: "b03", GroupID: "dept", GroupName: "dept", Path: []string{"team", "dept"}},
			{Kind: SourceGroup, Role: RoleReadonly, BindingID: "b02", GroupID: "team", GroupName: "team", Path: []string{"team"},
				Redundant: true, CoveredBy: "group dept (collaborator)"},
		}},
		{"ben", "c2", Access{Role: RoleOwner}, true, []Source{
			{Kind: SourceGroup, Role: RoleOwner, BindingID: "b04", GroupID: "div", GroupName: "div", Path: []string{"team", "dept", "div"}},
		}},
		{"gus", "p2", Access{Role: RoleOwner}, true, []Source{
			{Kind: SourceGroup, Role: RoleOwner, BindingID: "b11", GroupID: "solo", GroupName: "solo", Path: []string{"solo"}},
			{Kind: SourceDirect, Role: RoleCollaborator, BindingID: "b12", Redundant: true, CoveredBy: "group solo (owner)"},
			{Kind: SourceDirect, Role: RoleReadonly, BindingID: "b10", Redundant: true, CoveredBy: "group solo (owner)"},
		}},
		{"fay", "c1", Access{Role: RoleOwner, Implicit: true}, true, []Source{
			{Kind: SourceImplicitOwner, Role: RoleOwner},
			{Kind: SourceDirect, Role: RoleReadonly, BindingID: "b17", Redundant: true, CoveredBy: "org ownership (owner)"},
		}},
		{"fay", "org", Access{Role: RoleOwner}, true, []Source{
			{Kind: SourceGroup, Role: RoleOwner, BindingID: "b09", GroupID: "admins", GroupName: "admins", Path: []string{"admins"}},
		}},
		{"dan", "c1", Access{}, false, []Source{{Kind: SourceDirect, Role: RoleOwner, BindingID: "b07"}}},
		{"cat", "c1", Access{Role: RoleReadonly}, true, []Source{
			{Kind: SourceGroup, Role: RoleReadonly, BindingID: "b06", GroupID: "low", GroupName: "low", Path: []string{"low"}},
		}},
		{"hal", "c2", Access{}, true, []Source{}},
	}
	for _, tc := range tests {
		t.Run(tc.user+"/"+tc.res, func(t *testing.T) {
			ex, err := ix.Explain(tc.user, tc.res)
			if err != nil {
				t.Fatal(err)
			}
			if ex.Effective != tc.effective || ex.HoldsAccess != tc.holds || !reflect.DeepEqual(ex.Sources, tc.sources) {
				got, _ := json.MarshalIndent(ex, "", " ")
				t.Errorf("Explain(%s, %s) =\n%s\nwant effective %+v holds %v sources %+v", tc.user, tc.res, got, tc.effective, tc.holds, tc.sources)
			}
		})
	}
}

// Of sources of equal role one stays unmarked: a group over a direct grant, org ownership
// over a group, the first group by name over later ones; a lone binding is never redundant.
func TestExplainRedundantTies(t *testing.T) {
	U, G := PrincipalUser, PrincipalGroup
	st := &State{
		Users:       []User{{ID: "u", UserName: "u", Active: true}},
		Groups:      []Group{{ID: "a", DisplayName: "a", Active: true}, {ID: "b", DisplayName: "b", Active: true}},
		Memberships: []Membership{{GroupID: "a", MemberType: U, MemberID: "u"}, {GroupID: "b", MemberType: U, MemberID: "u"}},
		Resources: []Resource{{ID: "org", Kind: KindOrganization, Name: "o"}, {ID: "c", Kind: KindCloud, Name: "c"},
			{ID: "d", Kind: KindCloud, Name: "d"}},
		Bindings: []Binding{
			{ID: "1", ResourceID: "c", PrincipalType: U, PrincipalID: "u", Role: RoleCollaborator},
			{ID: "2", ResourceID: "c", PrincipalType: G, PrincipalID: "b", Role: RoleCollaborator},
			{ID: "3", ResourceID: "c", PrincipalType: G, PrincipalID: "a", Role: RoleCollaborator},
			{ID: "4", ResourceID: "d", PrincipalType: U, PrincipalID: "u", Role: RoleReadonly},
		},
	}
	ix := NewIndex(st)
	ex, err := ix.Explain("u", "c")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range ex.Sources {
		got[s.BindingID] = fmt.Sprint(s.Redundant, " ", s.CoveredBy)
	}
	want := map[string]string{"1": "true group a (collaborator)", "3": "false ", "2": "true group a (collaborator)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("redundancy on c = %v, want %v", got, want)
	}
	if ex, _ := ix.Explain("u", "d"); len(ex.Sources) != 1 || ex.Sources[0].Redundant {
		t.Errorf("a lone grant was marked redundant: %+v", ex.Sources)
	}
	// Org ownership through group a makes a's and b's equal cloud grants redundant too.
	st.Bindings = append(st.Bindings, Binding{ID: "5", ResourceID: "org", PrincipalType: G, PrincipalID: "a", Role: RoleOwner},
		Binding{ID: "6", ResourceID: "d", PrincipalType: G, PrincipalID: "b", Role: RoleOwner})
	ex, _ = NewIndex(st).Explain("u", "d")
	for _, s := range ex.Sources {
		if s.Kind == SourceGroup && (!s.Redundant || s.CoveredBy != "org ownership (owner)") ||
			s.Kind == SourceDirect && !s.Redundant || s.Kind == SourceImplicitOwner && s.Redundant {
			t.Errorf("with org ownership through a group, source %+v", s)
		}
	}
}

func TestReview(t *testing.T) {
	rv := NewIndex(fixture()).Review()
	got, err := json.Marshal(rv)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"orgOwners":[{"type":"user","id":"fay","name":"fay@example.com"},{"type":"service_account","id":"root","name":"root-bot"}],` +
		`"users":[` +
		`{"type":"user","id":"ann","name":"ann@example.com","organization":"none","clouds":[{"resourceId":"c1","name":"cloud-a","role":"collaborator","projects":[]}]},` +
		`{"type":"user","id":"ben","name":"ben@example.com","organization":"collaborator","clouds":[` +
		`{"resourceId":"c1","name":"cloud-a","role":"none","projects":[{"resourceId":"p1","name":"proj-a","role":"collaborator"}]},` +
		`{"resourceId":"c2","name":"cloud-b","role":"owner","projects":[]}]},` +
		`{"type":"user","id":"cat","name":"cat@example.com","organization":"none","clouds":[{"resourceId":"c1","name":"cloud-a","role":"readonly","projects":[]}]},` +
		`{"type":"user","id":"gus","name":"gus@example.com","organization":"none","clouds":[{"resourceId":"c2","name":"cloud-b","role":"none","projects":[{"resourceId":"p2","name":"proj-b","role":"owner"}]}]}],` +
		`"serviceAccounts":[{"type":"service_account","id":"bot","name":"bot","organization":"collaborator","clouds":[` +
		`{"resourceId":"c1","name":"cloud-a","role":"none","projects":[{"resourceId":"p1","name":"proj-a","role":"owner"}]}]}]}`
	if string(got) != want {
		t.Errorf("review =\n%s\nwant\n%s", got, want)
	}
}

func TestDuplicatesAndDanglingReferences(t *testing.T) {
	s := &State{
		Users:       []User{{ID: "u", UserName: "first", Active: true}, {ID: "u", UserName: "second", Active: true}},
		Memberships: []Membership{{"ghost", "u", PrincipalUser}},
		Resources:   []Resource{{ID: "c", Kind: KindCloud, Name: "c"}},
		Bindings: []Binding{
			{ID: "x", ResourceID: "gone", PrincipalType: PrincipalUser, PrincipalID: "u", Role: RoleOwner},
			{ID: "y", ResourceID: "c", PrincipalType: PrincipalUser, PrincipalID: "nobody", Role: RoleOwner},
			{ID: "z", ResourceID: "c", PrincipalType: PrincipalUser, PrincipalID: "u", Role: RoleReadonly},
		},
	}
	ix := NewIndex(s)
	if n := len(ix.UsersByName()); n != 1 || ix.User(ix.UsersByName()[0]).UserName != "first" {
		t.Errorf("duplicate user IDs: %d users, first %q", n, ix.User(ix.UsersByName()[0]).UserName)
	}
	if got, _ := ix.EffectiveRole("u", "c"); got.Role != RoleReadonly {
		t.Errorf("role = %v", got)
	}
	if _, ok := ix.Organization(); ok {
		t.Error("found an organization in a State without one")
	}
}

func TestIndexConcurrentQueries(t *testing.T) {
	ix := NewIndex(fixture())
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 200 {
				if a, _ := ix.EffectiveRole("ben", "c2"); a.Role != RoleOwner {
					t.Errorf("concurrent EffectiveRole = %+v", a)
					return
				}
				if a, _ := ix.EffectiveRole("ann", "c1"); a.Role != RoleCollaborator {
					t.Errorf("concurrent EffectiveRole = %+v", a)
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}

// publicFixture is fixture with proj-a (p1, in cloud-a) public and a service account ci
// holding readonly on cloud-a. cloud-a's role holders: ann (direct collaborator), cat
// (readonly through low), dan (inactive, direct owner), eve (removed), fay (org owner,
// direct readonly), ci. proj-b (p2, in cloud-b) stays private: ben's cloud-b owner (through
// div) does not reach it.
func publicFixture() *State {
	s := fixture()
	s.Resources[3].Public = true
	s.ServiceAccounts = append(s.ServiceAccounts, ServiceAccount{ID: "ci", Name: "ci"})
	s.Bindings = append(s.Bindings, Binding{ID: "b19", ResourceID: "c1", PrincipalType: PrincipalServiceAccount, PrincipalID: "ci", Role: RoleReadonly})
	return s
}

func TestPublicProjects(t *testing.T) {
	ix := NewIndex(publicFixture())
	public := Access{Role: RoleCollaborator, Implicit: true, Public: true}
	for _, tc := range []struct {
		name, user, res string
		want            Access
	}{
		{"direct cloud role reaches the public project", "ann", "p1", public},
		{"group cloud role reaches it", "cat", "p1", public},
		{"explicit collaborator is not implicit", "ben", "p1", Access{Role: RoleCollaborator}},
		{"org owner stays implicit owner", "fay", "p1", Access{Role: RoleOwner, Implicit: true}},
		{"inactive user holds nothing", "dan", "p1", Access{}},
		{"removed user holds nothing", "eve", "p1", Access{}},
		{"no cloud role, nothing", "hal", "p1", Access{}},
		{"a cloud role does not reach a private project", "ben", "p2", Access{}},
		{"the cloud itself is unchanged", "ann", "c1", Access{Role: RoleCollaborator}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := ix.EffectiveRole(tc.user, tc.res); err != nil || got != tc.want {
				t.Errorf("EffectiveRole(%s, %s) = %+v, %v; want %+v", tc.user, tc.res, got, err, tc.want)
			}
		})
	}
	if got, _ := ix.ServiceAccountRole("ci", "p1"); got != public {
		t.Errorf("ServiceAccountRole(ci, p1) = %+v, want %+v", got, public)
	}
	if got, _ := ix.ServiceAccountRole("bot", "p1"); got != (Access{Role: RoleOwner}) {
		t.Errorf("ServiceAccountRole(bot, p1) = %+v: bot's explicit owner must win", got)
	}
	got, _ := ix.UserAccess("ann")
	want := []Grant{
		{ResourceID: "c1", Name: "cloud-a", Kind: KindCloud, Access: Access{Role: RoleCollaborator}},
		{ResourceID: "p1", Name: "proj-a", Kind: KindProject, ParentID: "c1", Access: public},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UserAccess(ann) = %+v", got)
	}

	for _, tc := range []struct {
		user, res string
		effective Access
		holds     bool
		cloudRole Role
		public    bool
		sources   []Source
	}{
		{"ann", "p1", public, true, RoleCollaborator, true, []Source{{Kind: SourcePublicProject, Role: RoleCollaborator}}},
		{"ben", "p1", Access{Role: RoleCollaborator}, true, RoleNone, true, []Source{
			{Kind: SourceGroup, Role: RoleCollaborator, BindingID: "b03", GroupID: "dept", GroupName: "dept", Path: []string{"team", "dept"}},
			{Kind: SourceGroup, Role: RoleReadonly, BindingID: "b02", GroupID: "team", GroupName: "team", Path: []string{"team"},
				Redundant: true, CoveredBy: "group dept (collaborator)"},
		}},
		{"fay", "p1", Access{Role: RoleOwner, Implicit: true}, true, RoleReadonly, true, []Source{
			{Kind: SourceImplicitOwner, Role: RoleOwner}, {Kind: SourcePublicProject, Role: RoleCollaborator},
		}},
		// An inactive user holds nothing, but what would apply is listed.
		// The public project gives dan collaborator anyway: dept's grant adds nothing for him.
		{"dan", "p1", Access{}, false, RoleOwner, true, []Source{
			{Kind: SourceGroup, Role: RoleCollaborator, BindingID: "b03", GroupID: "dept", GroupName: "dept", Path: []string{"team", "dept"},
				Redundant: true, CoveredBy: "the public project (collaborator)"},
			{Kind: SourcePublicProject, Role: RoleCollaborator},
			{Kind: SourceGroup, Role: RoleReadonly, BindingID: "b02", GroupID: "team", GroupName: "team", Path: []string{"team"},
				Redundant: true, CoveredBy: "group dept (collaborator)"},
		}},
		// A private project: the cloud role is reported, and reaches nothing.
		{"ben", "p2", Access{}, true, RoleOwner, false, []Source{}},
		{"ann", "c1", Access{Role: RoleCollaborator}, true, RoleNone, false, []Source{{Kind: SourceDirect, Role: RoleCollaborator, BindingID: "b01"}}},
	} {
		ex, err := ix.Explain(tc.user, tc.res)
		if err != nil {
			t.Fatal(err)
		}
		if ex.Effective != tc.effective || ex.HoldsAccess != tc.holds || ex.CloudRole != tc.cloudRole || ex.Public != tc.public ||
			!reflect.DeepEqual(ex.Sources, tc.sources) {
			got, _ := json.MarshalIndent(ex, "", " ")
			t.Errorf("Explain(%s, %s) =\n%s\nwant effective %+v holds %v cloudRole %v public %v sources %+v",
				tc.user, tc.res, got, tc.effective, tc.holds, tc.cloudRole, tc.public, tc.sources)
		}
	}

	rv, _ := json.Marshal(ix.Review())
	for _, want := range []string{
		`{"type":"user","id":"ann","name":"ann@example.com","organization":"none","clouds":[{"resourceId":"c1","name":"cloud-a","role":"collaborator","projects":[{"resourceId":"p1","name":"proj-a","role":"collaborator"}]}]}`,
		`{"type":"user","id":"cat","name":"cat@example.com","organization":"none","clouds":[{"resourceId":"c1","name":"cloud-a","role":"readonly","projects":[{"resourceId":"p1","name":"proj-a","role":"collaborator"}]}]}`,
		`{"type":"service_account","id":"ci","name":"ci","organization":"collaborator","clouds":[{"resourceId":"c1","name":"cloud-a","role":"readonly","projects":[{"resourceId":"p1","name":"proj-a","role":"collaborator"}]}]}`,
	} {
		if !strings.Contains(string(rv), want) {
			t.Errorf("review lacks\n%s\nin\n%s", want, rv)
		}
	}
}

func TestPublicIgnoredOffProjects(t *testing.T) {
	s := &State{
		Users: []User{{ID: "u", UserName: "u", Active: true}},
		Resources: []Resource{
			{ID: "org", Kind: KindOrganization, Name: "org", Public: true},
			{ID: "c", Kind: KindCloud, Name: "c", Public: true},
			{ID: "orphan", Kind: KindProject, Name: "orphan", ParentID: "gone", Public: true},
			{ID: "nested", Kind: KindProject, Name: "nested", ParentID: "org", Public: true},
		},
		Bindings: []Binding{
			{ID: "b1", ResourceID: "org", PrincipalType: PrincipalUser, PrincipalID: "u", Role: RoleCollaborator},
			{ID: "b2", ResourceID: "c", PrincipalType: PrincipalUser, PrincipalID: "u", Role: RoleReadonly},
		},
	}
	ix := NewIndex(s)
	for _, r := range []string{"orphan", "nested"} {
		if got, _ := ix.EffectiveRole("u", r); got != (Access{}) {
			t.Errorf("public project %s whose parent is no cloud gives %+v", r, got)
		}
	}
	if got, _ := ix.EffectiveRole("u", "c"); got != (Access{Role: RoleReadonly}) {
		t.Errorf("public flag on a cloud changed its role: %+v", got)
	}
}
