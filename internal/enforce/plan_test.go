package enforce

import (
	"fmt"
	"slices"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
)

// TestReferencePreview: the planner finds exactly the reference page's changes (package
// cli/enforcetext checks that they render as the page prints them).
func TestReferencePreview(t *testing.T) {
	p := Compute(ReferenceState())
	wantLines := []string{
		"user1@example.com clouds/prod-cloud collaborator->readonly",
		"user1@example.com clouds/staging-cloud owner->none",
		"user1@example.com projects/proj-1 collaborator->readonly",
		"user1@example.com organization owner->collaborator",
		"user2@example.com clouds/dev-cloud collaborator->none",
	}
	if got := lines(p); !slices.Equal(got, wantLines) {
		t.Errorf("changes = %q, want %q", got, wantLines)
	}
	if got := removedNames(p); !slices.Equal(got, []string{"orphan-user@example.com"}) {
		t.Errorf("removed = %q", got)
	}
	if !p.OwnerAfter || p.Summary.OwnersBefore != 2 || p.Summary.OwnersAfter != 1 {
		t.Errorf("owners: after=%v before=%d after=%d, want true 2 1", p.OwnerAfter, p.Summary.OwnersBefore, p.Summary.OwnersAfter)
	}
	wantIDs := []string{"b-user1-staging", "b-user1-prod", "b-user1-proj1", "b-user1-org", "b-user2-dev", "b-orphan-proj2"}
	if got := p.DeleteBindingIDs(); !slices.Equal(got, wantIDs) || p.DeleteBindings != len(wantIDs) {
		t.Errorf("deletions = %v (%d), want %v", got, p.DeleteBindings, wantIDs)
	}
}

func TestPlanTable(t *testing.T) {
	tests := []struct {
		name        string
		users       []access.User
		groups      []access.Group
		members     []access.Membership
		accounts    []access.ServiceAccount
		bindings    []access.Binding
		wantLines   []string
		wantRemoved []string
		wantDeletes int
		ownerAfter  bool
	}{
		{
			name:        "direct binding covered by equal group role: no line",
			users:       []access.User{user("alice")},
			groups:      []access.Group{group("eng")},
			members:     []access.Membership{member("eng", U, "alice")},
			bindings:    []access.Binding{bind("c1", U, "alice", collab), bind("c1", G, "eng", collab)},
			wantLines:   []string{},
			wantDeletes: 1,
		},
		{
			name:        "direct binding covered by higher group role: no line",
			users:       []access.User{user("alice")},
			groups:      []access.Group{group("eng")},
			members:     []access.Membership{member("eng", U, "alice")},
			bindings:    []access.Binding{bind("p1", U, "alice", ro), bind("p1", G, "eng", owner)},
			wantLines:   []string{},
			wantDeletes: 1,
		},
		{
			name:        "group grants less: downgrade",
			users:       []access.User{user("alice")},
			groups:      []access.Group{group("eng")},
			members:     []access.Membership{member("eng", U, "alice")},
			bindings:    []access.Binding{bind("c1", U, "alice", owner), bind("c1", G, "eng", ro)},
			wantLines:   []string{"alice@example.com clouds/cloud-a owner->readonly"},
			wantDeletes: 1,
		},
		{
			name:        "no group grant on the resource: removed",
			users:       []access.User{user("alice")},
			groups:      []access.Group{group("eng")},
			members:     []access.Membership{member("eng", U, "alice")},
			bindings:    []access.Binding{bind("p2", U, "alice", collab), bind("c1", G, "eng", ro)},
			wantLines:   []string{"alice@example.com projects/proj-b collaborator->none"},
			wantDeletes: 1,
		},
		{
			name:   "nested groups, 3 levels, grant at the top covers",
			users:  []access.User{user("alice"), user("bob")},
			groups: []access.Group{group("team"), group("dept"), group("div")},
			members: []access.Membership{
				member("team", U, "alice"), member("team", U, "bob"),
				member("dept", G, "team"), member("div", G, "dept"),
			},
			bindings: []access.Binding{
				bind("c1", U, "alice", collab), bind("c1", G, "div", collab),
				bind("c2", U, "bob", owner), bind("c2", G, "dept", ro),
			},
			wantLines:   []string{"bob@example.com clouds/cloud-b owner->readonly"},
			wantDeletes: 2,
		},
		{
			name:   "inactive group in the middle of a chain stops the flow",
			users:  []access.User{user("alice")},
			groups: []access.Group{group("team"), inactiveGroup("dept"), group("div")},
			members: []access.Membership{
				member("team", U, "alice"), member("dept", G, "team"), member("div", G, "dept"),
			},
			bindings:    []access.Binding{bind("c1", U, "alice", collab), bind("c1", G, "div", collab), bind("c1", G, "dept", owner)},
			wantLines:   []string{"alice@example.com clouds/cloud-a collaborator->none"},
			wantDeletes: 1,
		},
		{
			name:        "user only in an inactive group is removed, with no lines",
			users:       []access.User{user("alice")},
			groups:      []access.Group{inactiveGroup("old")},
			members:     []access.Membership{member("old", U, "alice")},
			bindings:    []access.Binding{bind("c1", U, "alice", collab)},
			wantLines:   []string{},
			wantRemoved: []string{"alice@example.com"},
			wantDeletes: 1,
		},
		{
			name:        "inactive user in a group: nothing before or after, not removed",
			users:       []access.User{inactiveUser("alice")},
			groups:      []access.Group{group("eng")},
			members:     []access.Membership{member("eng", U, "alice")},
			bindings:    []access.Binding{bind("c1", U, "alice", owner)},
			wantLines:   []string{},
			wantDeletes: 1,
		},
		{
			name:        "inactive user in no group: listed for removal only",
			users:       []access.User{inactiveUser("alice")},
			bindings:    []access.Binding{bind("c1", U, "alice", owner)},
			wantLines:   []string{},
			wantRemoved: []string{"alice@example.com"},
			wantDeletes: 1,
		},
		{
			name:        "already removed user: nothing, but its leftover bindings are deleted",
			users:       []access.User{removedUser("alice")},
			bindings:    []access.Binding{bind("c1", U, "alice", owner)},
			wantLines:   []string{},
			wantDeletes: 1,
		},
		{
			name:       "service accounts untouched and keep the org owned",
			accounts:   []access.ServiceAccount{{ID: "bot", Name: "bot"}},
			bindings:   []access.Binding{bind("org", SA, "bot", owner), bind("c1", SA, "bot", collab)},
			wantLines:  []string{},
			ownerAfter: true,
		},
		{
			name:       "group bindings untouched and nobody in the group loses anything",
			users:      []access.User{user("alice")},
			groups:     []access.Group{group("admins")},
			members:    []access.Membership{member("admins", U, "alice")},
			bindings:   []access.Binding{bind("org", G, "admins", owner), bind("c1", G, "admins", ro)},
			wantLines:  []string{},
			ownerAfter: true,
		},
		{
			name:        "user in a group with no bindings: org change only, not removed",
			users:       []access.User{user("alice")},
			groups:      []access.Group{group("empty")},
			members:     []access.Membership{member("empty", U, "alice")},
			bindings:    []access.Binding{bind("org", U, "alice", owner)},
			wantLines:   []string{"alice@example.com organization owner->none"},
			wantDeletes: 1,
		},
		{
			name:    "user staying org owner through a group loses nothing below the org",
			users:   []access.User{user("alice")},
			groups:  []access.Group{group("admins")},
			members: []access.Membership{member("admins", U, "alice")},
			bindings: []access.Binding{
				bind("org", G, "admins", owner), bind("org", U, "alice", owner),
				bind("c1", U, "alice", collab), bind("p2", U, "alice", owner),
			},
			wantLines:   []string{},
			wantDeletes: 3,
			ownerAfter:  true,
		},
		{
			name:      "empty org",
			wantLines: []string{},
		},
		{
			name:    "implicit org owner access is not expanded into lines",
			users:   []access.User{user("alice")},
			groups:  []access.Group{group("eng")},
			members: []access.Membership{member("eng", U, "alice")},
			bindings: []access.Binding{
				bind("org", U, "alice", owner), bind("org", G, "eng", collab), bind("p1", G, "eng", ro),
			},
			wantLines:   []string{"alice@example.com organization owner->collaborator"},
			wantDeletes: 1,
		},
		{
			name:    "highest role wins among several groups and bindings; kinds and names ordered",
			users:   []access.User{user("zed"), user("amy")},
			groups:  []access.Group{group("g1"), group("g2")},
			members: []access.Membership{member("g1", U, "zed"), member("g2", U, "zed"), member("g1", U, "amy")},
			bindings: []access.Binding{
				bind("p2", U, "zed", owner), bind("p1", U, "zed", owner), bind("c2", U, "zed", owner),
				bind("c1", U, "zed", ro), bind("c1", U, "zed", owner),
				bind("c1", G, "g1", ro), bind("c1", G, "g2", collab), bind("p1", G, "g2", owner),
				bind("org", U, "amy", collab),
			},
			wantLines: []string{
				"amy@example.com organization collaborator->none",
				"zed@example.com clouds/cloud-a owner->collaborator",
				"zed@example.com clouds/cloud-b owner->none",
				"zed@example.com projects/proj-b owner->none",
			},
			wantDeletes: 6,
		},
		{
			name:        "membership cycle ends",
			users:       []access.User{user("alice")},
			groups:      []access.Group{group("a"), group("b")},
			members:     []access.Membership{member("a", U, "alice"), member("b", G, "a"), member("a", G, "b")},
			bindings:    []access.Binding{bind("c1", G, "b", owner), bind("c1", U, "alice", owner), bind("c2", U, "alice", ro)},
			wantLines:   []string{"alice@example.com clouds/cloud-b readonly->none"},
			wantDeletes: 2,
		},
		{
			name:        "owner safety: last owner is direct only",
			users:       []access.User{user("alice")},
			groups:      []access.Group{group("eng")},
			members:     []access.Membership{member("eng", U, "alice")},
			bindings:    []access.Binding{bind("org", U, "alice", owner), bind("org", G, "eng", collab)},
			wantLines:   []string{"alice@example.com organization owner->collaborator"},
			wantDeletes: 1,
			ownerAfter:  false,
		},
		{
			name:       "owner safety: inactive user's group ownership does not count",
			users:      []access.User{inactiveUser("alice")},
			groups:     []access.Group{group("admins")},
			members:    []access.Membership{member("admins", U, "alice")},
			bindings:   []access.Binding{bind("org", G, "admins", owner)},
			wantLines:  []string{},
			ownerAfter: false,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &access.State{Users: tc.users, Groups: tc.groups, Memberships: tc.members,
				ServiceAccounts: tc.accounts, Resources: baseResources(), Bindings: tc.bindings}
			p := Compute(s)
			if got := lines(p); !slices.Equal(got, tc.wantLines) {
				t.Errorf("lines:\n got  %q\n want %q", got, tc.wantLines)
			}
			want := tc.wantRemoved
			if want == nil {
				want = []string{}
			}
			if got := removedNames(p); !slices.Equal(got, want) {
				t.Errorf("removed = %q, want %q", got, want)
			}
			if p.DeleteBindings != tc.wantDeletes || len(p.Deletions) != tc.wantDeletes {
				t.Errorf("deletes = %d (%d records), want %d", p.DeleteBindings, len(p.Deletions), tc.wantDeletes)
			}
			for _, b := range p.Deletions {
				if b.PrincipalType != access.PrincipalUser {
					t.Errorf("plans to delete a %s binding %s", b.PrincipalType, b.ID)
				}
			}
			if p.OwnerAfter != tc.ownerAfter {
				t.Errorf("OwnerAfter = %v, want %v", p.OwnerAfter, tc.ownerAfter)
			}
			if p.Summary.UsersChanged != len(p.Users) || p.Summary.Changes != len(tc.wantLines) || p.Summary.UsersRemoved != len(want) {
				t.Errorf("summary %+v inconsistent", p.Summary)
			}
			if len(p.Fingerprint) != 64 {
				t.Errorf("fingerprint %q is not hex SHA-256", p.Fingerprint)
			}
		})
	}
}

func TestEmptyPlan(t *testing.T) {
	p := Compute(&access.State{Resources: baseResources()})
	if !p.Empty() {
		t.Fatalf("plan of an empty org is not empty: %+v", p)
	}
	p = Compute(ReferenceState())
	if p.Empty() {
		t.Fatal("reference plan reported empty")
	}
}

// Short names keep the planner tables readable.
const (
	U, G, SA          = access.PrincipalUser, access.PrincipalGroup, access.PrincipalServiceAccount
	owner, collab, ro = access.RoleOwner, access.RoleCollaborator, access.RoleReadonly
	none              = access.RoleNone
)

// baseResources is the org every table test uses: the org, two clouds, two projects.
func baseResources() []access.Resource {
	return []access.Resource{
		{ID: "org", Kind: access.KindOrganization, Name: "acme"},
		{ID: "c1", Kind: access.KindCloud, Name: "cloud-a"},
		{ID: "c2", Kind: access.KindCloud, Name: "cloud-b"},
		{ID: "p1", Kind: access.KindProject, Name: "proj-a", ParentID: "c1"},
		{ID: "p2", Kind: access.KindProject, Name: "proj-b", ParentID: "c2"},
	}
}

func user(id string) access.User {
	return access.User{ID: id, UserName: id + "@example.com", Active: true}
}
func inactiveUser(id string) access.User {
	return access.User{ID: id, UserName: id + "@example.com", Active: false}
}
func removedUser(id string) access.User {
	return access.User{ID: id, UserName: id + "@example.com", Removed: true}
}
func group(id string) access.Group         { return access.Group{ID: id, DisplayName: id, Active: true} }
func inactiveGroup(id string) access.Group { return access.Group{ID: id, DisplayName: id} }

func member(g string, t access.PrincipalType, m string) access.Membership {
	return access.Membership{GroupID: g, MemberType: t, MemberID: m}
}

func bind(res string, t access.PrincipalType, p string, r access.Role) access.Binding {
	return access.Binding{ID: fmt.Sprintf("b-%s-%s-%s-%s", t, p, res, r), ResourceID: res, PrincipalType: t, PrincipalID: p, Role: r}
}

// lines flattens a plan's changes to "userName kind/resource before->after" strings in plan
// order, so a table can state them compactly.
func lines(p *Plan) []string {
	out := []string{}
	for _, u := range p.Users {
		for _, c := range u.Changes.Clouds {
			out = append(out, fmt.Sprintf("%s clouds/%s %s->%s", u.UserName, c.Resource, c.Before, c.After))
		}
		for _, c := range u.Changes.Projects {
			out = append(out, fmt.Sprintf("%s projects/%s %s->%s", u.UserName, c.Resource, c.Before, c.After))
		}
		if c := u.Changes.Organization; c != nil {
			out = append(out, fmt.Sprintf("%s organization %s->%s", u.UserName, c.Before, c.After))
		}
	}
	return out
}

func removedNames(p *Plan) []string {
	out := []string{}
	for _, u := range p.RemovedUsers {
		out = append(out, u.UserName)
	}
	return out
}
