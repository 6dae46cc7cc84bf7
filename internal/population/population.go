// Package population owns the deterministic benchmark organizations of the decision
// benchmarks: a Spec (how many users, groups, memberships, bindings, clouds, projects,
// service accounts, which are inactive) and Generate, which draws the same access.State for
// the same Spec and seed on every machine. Budget is the enforce-groups budget population of
// DESIGN.md (100,000 users, 10,000 groups with nesting, 1,000,000 memberships, 500,000
// bindings); Scaled is the same shape with fewer users.
//
// It also derives from a State what the side-by-side benchmark needs besides the state
// itself: AuthZEN requests with the decision rolecall's rules give (requests.go) and the
// equivalent OpenFGA relationship tuples (tuples.go). It imports access and the standard
// library only; seeding a database is the caller's business (cmd/authzpop).
package population

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/rolecall/rolecall/internal/access"
)

// Spec says what Generate draws. Zero fields are not defaulted: start from Budget or Scaled.
type Spec struct {
	OrgName          string // the organization resource's name (rolecall's bootstrap org is "default")
	Users            int
	Groups           int
	Memberships      int // total, nested group memberships included
	Bindings         int // total, over the org, clouds and projects
	Clouds           int
	ProjectsPerCloud int
	ServiceAccounts  int
	// Ungrouped users (the last ones) are in no group.
	Ungrouped int
	// Every InactiveUserEvery-th user is inactive, every RemovedUserEvery-th is removed (and
	// inactive, as enforce-groups leaves it); every InactiveGroupEvery-th group is inactive.
	// 0 means none.
	InactiveUserEvery  int
	RemovedUserEvery   int
	InactiveGroupEvery int
	// NestChain groups form a chain: within each run of NestChain consecutive groups, every
	// group but the first has the previous one as a member (so members of the first are
	// transitively in all of them). 1 means no nesting.
	NestChain int
	// DirectPerUser direct bindings per user; SABindings per service account. Group bindings
	// make up the rest of Bindings.
	DirectPerUser int
	SABindings    int
	Seed          uint64
}

// Budget is the enforce-groups budget population: 100,000 users, 10,000 groups nested in
// chains of four, 1,000,000 memberships, 500,000 bindings over the org, 100 clouds and
// 10,000 projects, 100 service accounts; 1% of users inactive, 0.2% removed, 2% of groups
// inactive, 5,000 users in no group.
func Budget() Spec {
	return Spec{
		OrgName: "default", Users: 100_000, Groups: 10_000, Memberships: 1_000_000, Bindings: 500_000,
		Clouds: 100, ProjectsPerCloud: 100, ServiceAccounts: 100, Ungrouped: 5_000,
		InactiveUserEvery: 100, RemovedUserEvery: 500, InactiveGroupEvery: 50, NestChain: 4,
		DirectPerUser: 4, SABindings: 5, Seed: 1,
	}
}

// Scaled is Budget with users, groups, memberships, bindings, service accounts and ungrouped
// users scaled to users (at least one of each); clouds and projects are kept at the budget's
// 10,000 projects, so resource search always runs over as many projects.
func Scaled(users int) Spec {
	s := Budget()
	if users == s.Users {
		return s
	}
	base := s.Users
	f := func(n int) int { return max(1, int(int64(n)*int64(users)/int64(base))) }
	s.Users, s.Groups, s.Memberships, s.Bindings = users, f(s.Groups), f(s.Memberships), f(s.Bindings)
	s.ServiceAccounts, s.Ungrouped = f(s.ServiceAccounts), f(s.Ungrouped)
	return s
}

// Names of generated things: stable, derived from the index, unique in the organization.

// UserName is user i's userName.
func UserName(i int) string { return fmt.Sprintf("user%06d@example.com", i) }

// GroupName is group i's displayName.
func GroupName(i int) string { return "group-" + strconv.Itoa(i) }

// CloudName is cloud c's name.
func CloudName(c int) string { return "cloud-" + strconv.Itoa(c) }

// ProjectName is project p of cloud c's name (unique in the org, as AuthZEN ids must be).
func ProjectName(c, p int) string { return fmt.Sprintf("proj-%d-%d", c, p) }

// ServiceAccountName is service account i's name.
func ServiceAccountName(i int) string { return "sa-" + strconv.Itoa(i) }

// Validate reports a Spec Generate cannot draw.
func (sp Spec) Validate() error {
	nested := sp.nestedMemberships()
	grouped := sp.Users - sp.Ungrouped
	direct := sp.Users*sp.DirectPerUser + sp.ServiceAccounts*sp.SABindings
	sub := sp.Clouds * (1 + sp.ProjectsPerCloud)
	switch {
	case sp.OrgName == "":
		return fmt.Errorf("population: no organization name")
	case sp.Users <= 0 || sp.Groups <= 1 || sp.Clouds <= 0 || sp.ProjectsPerCloud < 0:
		return fmt.Errorf("population: needs users, at least two groups and a cloud")
	case grouped <= 0 && sp.Memberships > nested:
		return fmt.Errorf("population: memberships but no grouped user")
	case sp.Memberships < nested:
		return fmt.Errorf("population: %d memberships cannot hold the %d nested ones", sp.Memberships, nested)
	case grouped > 0 && (sp.Memberships-nested)/grouped+1 > sp.Groups:
		return fmt.Errorf("population: %d memberships over %d grouped users exceed %d groups each", sp.Memberships-nested, grouped, sp.Groups)
	case sp.Bindings < direct+2:
		return fmt.Errorf("population: %d bindings leave no room for group bindings after %d direct ones", sp.Bindings, direct)
	case sub < 4*sp.DirectPerUser || sub < 4*sp.SABindings:
		return fmt.Errorf("population: too few clouds and projects for distinct direct bindings")
	case (sp.Bindings-direct)/sp.Groups+1 > sub:
		return fmt.Errorf("population: more group bindings per group than resources")
	}
	return nil
}

func (sp Spec) nestedMemberships() int {
	if sp.NestChain <= 1 {
		return 0
	}
	n := 0
	for g := range sp.Groups {
		if g%sp.NestChain != 0 {
			n++
		}
	}
	return n
}

// Generate draws the organization sp describes. The same Spec gives the same State, byte for
// byte, on every run. IDs are short ("u12", "g3", "c4", "p4-7", "sa1", "b99", "org").
//
// Shape: users u0…; groups g0…, every NestChain-th starting a chain g(k)⊂g(k+1)⊂…; each grouped
// user in about Memberships/Users distinct random groups; group g0 owns the organization and
// g1 is an org collaborator; every other group binding is on a cloud or project, a group's
// bindings on distinct resources, roles drawn at random; each user holds DirectPerUser
// direct bindings and each service account SABindings, on distinct clouds and projects.
func Generate(sp Spec) (*access.State, error) {
	if err := sp.Validate(); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(sp.Seed, 0x726f6c6563616c6c)) // "rolecall"
	s := &access.State{Resources: []access.Resource{{ID: "org", Kind: access.KindOrganization, Name: sp.OrgName}}}
	for c := range sp.Clouds {
		cid := "c" + strconv.Itoa(c)
		s.Resources = append(s.Resources, access.Resource{ID: cid, Kind: access.KindCloud, Name: CloudName(c)})
		for p := range sp.ProjectsPerCloud {
			s.Resources = append(s.Resources, access.Resource{ID: fmt.Sprintf("p%d-%d", c, p), Kind: access.KindProject,
				Name: ProjectName(c, p), ParentID: cid})
		}
	}
	sub := s.Resources[1:]
	s.Users = make([]access.User, sp.Users)
	for u := range sp.Users {
		usr := access.User{ID: "u" + strconv.Itoa(u), UserName: UserName(u), Active: true}
		if sp.InactiveUserEvery > 0 && u%sp.InactiveUserEvery == sp.InactiveUserEvery-1 {
			usr.Active = false
		}
		if sp.RemovedUserEvery > 0 && u%sp.RemovedUserEvery == sp.RemovedUserEvery-3 {
			usr.Active, usr.Removed = false, true
		}
		s.Users[u] = usr
	}
	s.Groups = make([]access.Group, sp.Groups)
	for g := range sp.Groups {
		// g0 and g1 (the org's groups) stay active.
		active := sp.InactiveGroupEvery == 0 || g < 2 || g%sp.InactiveGroupEvery != sp.InactiveGroupEvery-1
		s.Groups[g] = access.Group{ID: "g" + strconv.Itoa(g), DisplayName: GroupName(g), Active: active}
	}
	for i := range sp.ServiceAccounts {
		s.ServiceAccounts = append(s.ServiceAccounts, access.ServiceAccount{ID: "sa" + strconv.Itoa(i), Name: ServiceAccountName(i)})
	}

	// Memberships: the nesting chains first, then each grouped user's random groups.
	s.Memberships = make([]access.Membership, 0, sp.Memberships)
	if sp.NestChain > 1 {
		for g := range sp.Groups {
			if g%sp.NestChain != 0 {
				s.Memberships = append(s.Memberships, access.Membership{GroupID: "g" + strconv.Itoa(g),
					MemberType: access.PrincipalGroup, MemberID: "g" + strconv.Itoa(g-1)})
			}
		}
	}
	grouped := sp.Users - sp.Ungrouped
	userMs := sp.Memberships - len(s.Memberships)
	var picked []int
	for u := range max(grouped, 0) {
		k := userMs / grouped
		if u < userMs%grouped {
			k++
		}
		picked = picked[:0]
		for len(picked) < k {
			g := r.IntN(sp.Groups)
			dup := false
			for _, p := range picked {
				dup = dup || p == g
			}
			if !dup {
				picked = append(picked, g)
			}
		}
		for _, g := range picked {
			s.Memberships = append(s.Memberships, access.Membership{GroupID: "g" + strconv.Itoa(g),
				MemberType: access.PrincipalUser, MemberID: "u" + strconv.Itoa(u)})
		}
	}

	// Bindings.
	roles := []access.Role{access.RoleOwner, access.RoleCollaborator, access.RoleReadonly}
	s.Bindings = make([]access.Binding, 0, sp.Bindings)
	bind := func(res string, t access.PrincipalType, p string, role access.Role) {
		s.Bindings = append(s.Bindings, access.Binding{ID: "b" + strconv.Itoa(len(s.Bindings)), ResourceID: res,
			PrincipalType: t, PrincipalID: p, Role: role})
	}
	bind("org", access.PrincipalGroup, "g0", access.RoleOwner)
	bind("org", access.PrincipalGroup, "g1", access.RoleCollaborator)
	groupBindings := sp.Bindings - len(s.Bindings) - sp.Users*sp.DirectPerUser - sp.ServiceAccounts*sp.SABindings
	for k := range groupBindings {
		g := k % sp.Groups
		j := k / sp.Groups // the group's j-th binding: distinct resources for distinct j
		res := sub[(g*131+j*7919)%len(sub)]
		bind(res.ID, access.PrincipalGroup, "g"+strconv.Itoa(g), roles[r.IntN(3)])
	}
	for u := range sp.Users {
		start := r.IntN(len(sub))
		for k := range sp.DirectPerUser {
			bind(sub[(start+k*37)%len(sub)].ID, access.PrincipalUser, "u"+strconv.Itoa(u), roles[r.IntN(3)])
		}
	}
	for a := range sp.ServiceAccounts {
		start := r.IntN(len(sub))
		for k := range sp.SABindings {
			bind(sub[(start+k*41)%len(sub)].ID, access.PrincipalServiceAccount, "sa"+strconv.Itoa(a), roles[r.IntN(3)])
		}
	}
	return s, nil
}
