package population

import (
	"math/rand/v2"

	"github.com/rolecall/rolecall/internal/access"
)

// Entity is an AuthZEN subject or resource: {"type": …, "id": …}. A resource search leaves
// the resource's ID empty.
type Entity struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
}

// Action is an AuthZEN action.
type Action struct {
	Name string `json:"name"`
}

// Evaluation is one AuthZEN access evaluation request with the decision rolecall's rules
// give it (Expect), computed from the State through access.Index.
type Evaluation struct {
	Subject  Entity `json:"subject"`
	Action   Action `json:"action"`
	Resource Entity `json:"resource"`
	Expect   bool   `json:"expect"`
}

// Search is one AuthZEN resource search: every resource of Resource.Type on which Subject may
// do Action. Expect is how many there are.
type Search struct {
	Subject  Entity `json:"subject"`
	Action   Action `json:"action"`
	Resource Entity `json:"resource"`
	Expect   int    `json:"expect"`
}

// Actions are the built-in AuthZEN actions of issue 15 and the least role each needs.
var Actions = []struct {
	Name string
	Role access.Role
}{
	{"read", access.RoleReadonly},
	{"write", access.RoleCollaborator},
	{"delete", access.RoleOwner},
	{"manage", access.RoleOwner},
	{"readonly", access.RoleReadonly},
	{"collaborator", access.RoleCollaborator},
	{"owner", access.RoleOwner},
}

// actionRole returns the least role action name needs (RoleNone for an unknown action).
func actionRole(name string) access.Role {
	for _, a := range Actions {
		if a.Name == name {
			return a.Role
		}
	}
	return access.RoleNone
}

// Evaluations draws n evaluation requests from s, deterministically for a seed, with a mix of
// allows and denies: about half name a user (or service account) together with a resource one
// of its groups or direct bindings is on (mostly allowed, unless the action needs more than
// the role held or the user is inactive), a third a random user and a random resource (mostly
// denied), and the rest service accounts and the organization itself. Actions are drawn from
// Actions, weighted toward read and write.
func Evaluations(s *access.State, n int, seed uint64) []Evaluation {
	r := rand.New(rand.NewPCG(seed, 0x6576616c)) // "eval"
	ix := access.NewIndex(s)
	byID := map[string]int{}
	for i, u := range s.Users {
		byID[u.ID] = i
	}
	members := map[string][]int{} // group ID -> indexes of its direct user members
	for _, m := range s.Memberships {
		if m.MemberType == access.PrincipalUser {
			members[m.GroupID] = append(members[m.GroupID], byID[m.MemberID])
		}
	}
	var org access.Resource
	for _, res := range s.Resources {
		if res.Kind == access.KindOrganization {
			org = res
		}
	}
	resByID := map[string]access.Resource{}
	for _, res := range s.Resources {
		resByID[res.ID] = res
	}
	weighted := []string{"read", "read", "read", "write", "write", "delete", "manage", "readonly", "collaborator", "owner"}
	out := make([]Evaluation, 0, n)
	for len(out) < n {
		action := weighted[r.IntN(len(weighted))]
		var subj Entity
		var res access.Resource
		var role access.Role
		ui, sa := -1, -1
		switch k := r.IntN(20); {
		case k < 10 && len(s.Bindings) > 0: // along a binding
			b := s.Bindings[r.IntN(len(s.Bindings))]
			res = resByID[b.ResourceID]
			switch b.PrincipalType {
			case access.PrincipalUser:
				ui = byID[b.PrincipalID]
			case access.PrincipalGroup:
				ms := members[b.PrincipalID]
				if len(ms) == 0 {
					continue
				}
				ui = ms[r.IntN(len(ms))]
			default:
				continue // service accounts below
			}
		case k < 17 || len(s.ServiceAccounts) == 0: // random user, random resource
			ui = r.IntN(len(s.Users))
			res = s.Resources[1+r.IntN(len(s.Resources)-1)]
			if k == 16 {
				res = org
			}
		default: // service account, random resource or the org
			sa = r.IntN(len(s.ServiceAccounts))
			res = s.Resources[r.IntN(len(s.Resources))]
		}
		if ui >= 0 {
			subj = Entity{"user", s.Users[ui].UserName}
			a, err := ix.EffectiveRole(s.Users[ui].ID, res.ID)
			if err != nil {
				continue
			}
			role = a.Role
		} else {
			subj = Entity{"service_account", s.ServiceAccounts[sa].Name}
			a, err := ix.ServiceAccountRole(s.ServiceAccounts[sa].ID, res.ID)
			if err != nil {
				continue
			}
			role = a.Role
		}
		out = append(out, Evaluation{Subject: subj, Action: Action{action}, Resource: Entity{res.Kind.String(), res.Name},
			Expect: role != access.RoleNone && role >= actionRole(action)})
	}
	return out
}

// Searches draws n resource searches ("which projects may this user read?") over users
// drawn at random, with the number of projects each finds.
func Searches(s *access.State, n int, seed uint64) []Search {
	r := rand.New(rand.NewPCG(seed, 0x736561726368)) // "search"
	ix := access.NewIndex(s)
	out := make([]Search, 0, n)
	for len(out) < n {
		u := s.Users[r.IntN(len(s.Users))]
		grants, err := ix.UserAccess(u.ID)
		if err != nil {
			continue
		}
		count := 0
		for _, g := range grants {
			if g.Kind == access.KindProject && g.Role >= access.RoleReadonly {
				count++
			}
		}
		out = append(out, Search{Subject: Entity{"user", u.UserName}, Action: Action{"read"},
			Resource: Entity{Type: "project"}, Expect: count})
	}
	return out
}
