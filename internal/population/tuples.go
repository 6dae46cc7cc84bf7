package population

import (
	"strings"

	"github.com/rolecall/rolecall/internal/access"
)

// FGAUserID is the OpenFGA object id of the user named userName: OpenFGA's AuthZEN layer
// refuses subject ids containing '@' (its pattern is ^[^:#@\s]{1,500}$), so every '@' is
// written "_at_". scimload's -fga-ids flag rewrites AuthZEN subject ids the same way.
func FGAUserID(userName string) string { return strings.ReplaceAll(userName, "@", "_at_") }

// Tuple is one OpenFGA relationship tuple, in the shape of OpenFGA's Write API tuple keys.
type Tuple struct {
	User     string `json:"user"`
	Relation string `json:"relation"`
	Object   string `json:"object"`
}

// Tuples calls emit with the OpenFGA relationship tuples that give, under the model in
// bench/authzen/model.fga, the same decisions as rolecall's rules give over s:
//
//   - organization:<org> is the "org" of every cloud and project (its owners own them all);
//   - every active group's active members: group:<g>#member@user:<FGAUserID(userName)>, and nested
//     groups group:<parent>#member@group:<child>#member;
//   - every binding of an active principal: <kind>:<name>#<role>@user:<userName>,
//     …@group:<g>#member or …@service_account:<name>;
//   - every service account is an org collaborator: organization:<org>#collaborator@service_account:<name>.
//
// Inactive and removed users and inactive groups get no tuple at all: OpenFGA has no notion
// of an inactive principal, so they are left out, which decides the same (an inactive group
// neither grants nor passes membership on). It stops at emit's first error.
func Tuples(s *access.State, emit func(Tuple) error) error {
	users := map[string]string{} // ID -> userName, holding users only
	for _, u := range s.Users {
		if u.Holds() {
			if _, dup := users[u.ID]; !dup {
				users[u.ID] = FGAUserID(u.UserName)
			}
		}
	}
	groups := map[string]string{} // ID -> name, active groups only
	for _, g := range s.Groups {
		if g.Active {
			groups[g.ID] = g.DisplayName
		}
	}
	accounts := map[string]string{}
	for _, a := range s.ServiceAccounts {
		accounts[a.ID] = a.Name
	}
	res := map[string]access.Resource{}
	var org string
	for _, r := range s.Resources {
		res[r.ID] = r
		if r.Kind == access.KindOrganization {
			org = "organization:" + r.Name
		}
	}
	object := func(r access.Resource) string { return r.Kind.String() + ":" + r.Name }
	for _, r := range s.Resources {
		if r.Kind != access.KindOrganization && org != "" {
			if err := emit(Tuple{User: org, Relation: "org", Object: object(r)}); err != nil {
				return err
			}
		}
	}
	for _, a := range s.ServiceAccounts {
		if org != "" {
			if err := emit(Tuple{User: "service_account:" + a.Name, Relation: "collaborator", Object: org}); err != nil {
				return err
			}
		}
	}
	for _, m := range s.Memberships {
		parent, ok := groups[m.GroupID]
		if !ok {
			continue
		}
		var user string
		switch m.MemberType {
		case access.PrincipalUser:
			name, ok := users[m.MemberID]
			if !ok {
				continue
			}
			user = "user:" + name
		case access.PrincipalGroup:
			name, ok := groups[m.MemberID]
			if !ok {
				continue
			}
			user = "group:" + name + "#member"
		default:
			continue
		}
		if err := emit(Tuple{User: user, Relation: "member", Object: "group:" + parent}); err != nil {
			return err
		}
	}
	for _, b := range s.Bindings {
		r, ok := res[b.ResourceID]
		if !ok || b.Role == access.RoleNone {
			continue
		}
		var user string
		var name string
		switch b.PrincipalType {
		case access.PrincipalUser:
			name, ok = users[b.PrincipalID]
			user = "user:" + name
		case access.PrincipalGroup:
			name, ok = groups[b.PrincipalID]
			user = "group:" + name + "#member"
		case access.PrincipalServiceAccount:
			name, ok = accounts[b.PrincipalID]
			user = "service_account:" + name
		default:
			ok = false
		}
		if !ok {
			continue
		}
		if err := emit(Tuple{User: user, Relation: b.Role.String(), Object: object(r)}); err != nil {
			return err
		}
	}
	return nil
}
