package decision

import (
	"errors"
	"fmt"
	"slices"

	"github.com/rolecall/rolecall/internal/access"
)

// Built-in actions and the minimum role each needs, on every kind of resource. The role
// names are actions too: "owner" means "holds at least owner".
var builtins = map[string]access.Role{
	"read":         access.RoleReadonly,
	"write":        access.RoleCollaborator,
	"delete":       access.RoleOwner,
	"manage":       access.RoleOwner,
	"readonly":     access.RoleReadonly,
	"collaborator": access.RoleCollaborator,
	"owner":        access.RoleOwner,
}

// BuiltinActions returns the names of the built-in actions, sorted. The caller owns the
// slice.
func BuiltinActions() []string {
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// CustomAction is an organization's own action: a name and the minimum role it needs on
// each kind of resource. RoleNone on a kind means the action is not defined there, and
// asking for it on such a resource is a deny that says so.
type CustomAction struct {
	Name         string      `json:"name"`
	Organization access.Role `json:"organization"`
	Cloud        access.Role `json:"cloud"`
	Project      access.Role `json:"project"`
}

// MinRole returns the minimum role a needs on kind k; RoleNone when a is not defined on k.
func (a CustomAction) MinRole(k access.Kind) access.Role {
	switch k {
	case access.KindOrganization:
		return a.Organization
	case access.KindCloud:
		return a.Cloud
	case access.KindProject:
		return a.Project
	}
	return access.RoleNone
}

// ValidateActions checks a set of custom actions as ActionsReplaced needs it: names are
// non-empty, unique and not built-in (a platform cannot redefine "read"), roles are valid,
// and every action is defined on at least one kind. Action names are compared exactly
// (case-sensitively): they are identifiers a platform chooses, not names people type.
func ValidateActions(actions []CustomAction) error { return validateActions(actions) }

func validateActions(actions []CustomAction) error {
	seen := map[string]bool{}
	var errs []error
	for _, a := range actions {
		switch {
		case a.Name == "":
			errs = append(errs, errors.New("custom action with an empty name"))
		case builtins[a.Name] != access.RoleNone:
			errs = append(errs, fmt.Errorf("custom action %q: the name of a built-in action", a.Name))
		case seen[a.Name]:
			errs = append(errs, fmt.Errorf("custom action %q: defined twice", a.Name))
		case a.Organization > access.RoleOwner || a.Cloud > access.RoleOwner || a.Project > access.RoleOwner:
			errs = append(errs, fmt.Errorf("custom action %q: invalid role", a.Name))
		case a.Organization == access.RoleNone && a.Cloud == access.RoleNone && a.Project == access.RoleNone:
			errs = append(errs, fmt.Errorf("custom action %q: defined on no kind of resource", a.Name))
		}
		seen[a.Name] = true
	}
	return errors.Join(errs...)
}

func (ix *Index) setActions(actions []CustomAction) {
	ix.actions = make(map[string]CustomAction, len(actions))
	ix.actionNames = BuiltinActions()
	for _, a := range actions {
		ix.actions[a.Name] = a
		ix.actionNames = append(ix.actionNames, a.Name)
	}
	slices.Sort(ix.actionNames)
}

// required returns the minimum role action needs on kind k, or a deny reason.
func (ix *Index) required(action string, k access.Kind) (access.Role, Reason) {
	if r, ok := builtins[action]; ok {
		return r, ""
	}
	a, ok := ix.actions[action]
	if !ok {
		return access.RoleNone, ReasonUnknownAction
	}
	if r := a.MinRole(k); r != access.RoleNone {
		return r, ""
	}
	return access.RoleNone, ReasonActionNotDefined
}
