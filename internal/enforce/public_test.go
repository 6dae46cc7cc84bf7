package enforce

import (
	"slices"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
)

// publicResources is baseResources with proj-a (in cloud-a) public and a second public
// project proj-c in cloud-a; proj-b (in cloud-b) stays private.
func publicResources() []access.Resource {
	rs := baseResources()
	rs[3].Public = true
	return append(rs, access.Resource{ID: "p3", Kind: access.KindProject, Name: "proj-c", ParentID: "c1", Public: true})
}

// TestPlanPublicProjects: a public project's implicit collaborator is part of before and
// after. A direct cloud role takes the cloud's public projects with it; a group's cloud
// role keeps them.
func TestPlanPublicProjects(t *testing.T) {
	eng := []access.Group{group("eng")}
	alice := []access.Membership{member("eng", U, "alice")}
	for _, tc := range []struct {
		name     string
		bindings []access.Binding
		want     []string
	}{
		{
			name:     "direct cloud role removed: its public projects go too",
			bindings: []access.Binding{bind("c1", U, "alice", ro), bind("c2", G, "eng", ro)},
			want: []string{
				"alice@example.com clouds/cloud-a readonly->none",
				"alice@example.com projects/proj-a collaborator->none",
				"alice@example.com projects/proj-c collaborator->none",
			},
		},
		{
			name:     "a group's cloud role still reaches the public projects: no project line",
			bindings: []access.Binding{bind("c1", U, "alice", owner), bind("c1", G, "eng", ro)},
			want:     []string{"alice@example.com clouds/cloud-a owner->readonly"},
		},
		{
			name:     "direct readonly on a public project the group's cloud role covers: no line",
			bindings: []access.Binding{bind("p1", U, "alice", ro), bind("c1", G, "eng", ro)},
			want:     []string{},
		},
		{
			name:     "direct owner on a public project drops to the public collaborator",
			bindings: []access.Binding{bind("p1", U, "alice", owner), bind("c1", G, "eng", collab)},
			want:     []string{"alice@example.com projects/proj-a owner->collaborator"},
		},
		{
			name:     "direct readonly on a public project, cloud role direct too: both go",
			bindings: []access.Binding{bind("p1", U, "alice", ro), bind("c1", U, "alice", collab), bind("org", G, "eng", collab)},
			want: []string{
				"alice@example.com clouds/cloud-a collaborator->none",
				"alice@example.com projects/proj-a collaborator->none",
				"alice@example.com projects/proj-c collaborator->none",
			},
		},
		{
			name:     "a private project is reached by no cloud role",
			bindings: []access.Binding{bind("c2", U, "alice", owner), bind("p2", G, "eng", ro)},
			want:     []string{"alice@example.com clouds/cloud-b owner->none"},
		},
		{
			name:     "org owner through a group: nothing below the org changes",
			bindings: []access.Binding{bind("c1", U, "alice", ro), bind("org", G, "eng", owner)},
			want:     []string{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &access.State{Users: []access.User{user("alice")}, Groups: eng, Memberships: alice,
				Resources: publicResources(), Bindings: tc.bindings}
			p := Compute(s)
			if got := lines(p); !slices.Equal(got, tc.want) {
				t.Errorf("lines:\n got  %q\n want %q", got, tc.want)
			}
			if p.Summary.Changes != len(tc.want) {
				t.Errorf("summary counts %d changes, want %d", p.Summary.Changes, len(tc.want))
			}
			// Visibility alters the plan, so the fingerprint must see it.
			private := cloneState(s)
			for i := range private.Resources {
				private.Resources[i].Public = false
			}
			if fingerprintOf(private) == p.Fingerprint {
				t.Error("fingerprint blind to project visibility")
			}
		})
	}
}
