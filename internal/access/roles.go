// Package access owns rolecall's authorization model: resource kinds, roles and their ranks,
// which role is valid on which kind, the input snapshot (State) the server fills from storage,
// and an Index over it that answers effective-access questions fast: the active groups a user
// belongs to (transitively), a principal's effective role on a resource, why a user holds it
// (Explain), and the access-review export.
//
// The package is pure: it does no I/O and imports only the standard library and csvsafe (its
// CSV export). Package enforce builds its planner on the Index.
package access

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is the kind of a resource: the organization itself, a cloud, or a project.
type Kind uint8

// The resource kinds. The zero Kind is invalid so that a forgotten field is caught.
const (
	KindOrganization Kind = iota + 1
	KindCloud
	KindProject
)

var kindNames = [...]string{KindOrganization: "organization", KindCloud: "cloud", KindProject: "project"}

// String returns the wire name of k ("organization", "cloud", "project").
func (k Kind) String() string {
	if k >= KindOrganization && k <= KindProject {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ParseKind parses a wire name as written by Kind.String.
func ParseKind(s string) (Kind, error) {
	for k := KindOrganization; k <= KindProject; k++ {
		if s == kindNames[k] {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown resource kind %q; valid kinds: organization, cloud, project", s)
}

// MarshalText makes Kind a JSON string.
func (k Kind) MarshalText() ([]byte, error) {
	if k < KindOrganization || k > KindProject {
		return nil, fmt.Errorf("cannot marshal invalid kind %d", uint8(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText is the inverse of MarshalText.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Role is a role a binding grants. Its numeric value is its rank, so comparing two roles
// with < and > compares rank: owner > collaborator > readonly > RoleNone.
type Role uint8

// The roles, in rank order. RoleNone means "holds nothing"; it is never a valid binding role.
const (
	RoleNone Role = iota
	RoleReadonly
	RoleCollaborator
	RoleOwner
)

var roleNames = [...]string{RoleNone: "none", RoleReadonly: "readonly", RoleCollaborator: "collaborator", RoleOwner: "owner"}

// String returns the wire name of r; RoleNone is "none".
func (r Role) String() string {
	if r <= RoleOwner {
		return roleNames[r]
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// Rank returns r's rank: 0 for RoleNone, 3 for RoleOwner.
func (r Role) Rank() int { return int(r) }

// ParseRole parses a binding role ("owner", "collaborator", "readonly"). It refuses "none":
// nobody can be granted nothing.
func ParseRole(s string) (Role, error) {
	for r := RoleReadonly; r <= RoleOwner; r++ {
		if s == roleNames[r] {
			return r, nil
		}
	}
	return RoleNone, fmt.Errorf("unknown role %q; valid roles: owner, collaborator, readonly", s)
}

// RoleAliasWrite is Anyscale's name for collaborator on projects, accepted as input there.
const RoleAliasWrite = "write"

// ParseRoleOn parses a role given for a resource of kind k: what ParseRole accepts and, on
// a project, "write", Anyscale's name for collaborator. The result is the canonical role,
// so "write" is stored and shown as collaborator. Whether the role is valid on k is
// ValidateBinding's question.
func ParseRoleOn(k Kind, s string) (Role, error) {
	if k == KindProject && s == RoleAliasWrite {
		return RoleCollaborator, nil
	}
	r, err := ParseRole(s)
	if err != nil && k == KindProject {
		return RoleNone, fmt.Errorf("unknown role %q; valid roles: owner, collaborator (alias write), readonly", s)
	}
	return r, err
}

// MarshalText makes Role a JSON string; RoleNone marshals as "none" so that a plan can say
// that nothing remains.
func (r Role) MarshalText() ([]byte, error) {
	if r > RoleOwner {
		return nil, fmt.Errorf("cannot marshal invalid role %d", uint8(r))
	}
	return []byte(roleNames[r]), nil
}

// UnmarshalText is the inverse of MarshalText (it accepts "none").
func (r *Role) UnmarshalText(b []byte) error {
	if string(b) == roleNames[RoleNone] {
		*r = RoleNone
		return nil
	}
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MaxRole returns the higher-ranked of a and b.
func MaxRole(a, b Role) Role {
	if a > b {
		return a
	}
	return b
}

// ValidRoles returns the roles a binding may grant on a resource of kind k, highest rank
// first; nil for an invalid kind. The caller owns the returned slice.
func ValidRoles(k Kind) []Role {
	switch k {
	case KindOrganization:
		return []Role{RoleOwner, RoleCollaborator}
	case KindCloud, KindProject:
		return []Role{RoleOwner, RoleCollaborator, RoleReadonly}
	}
	return nil
}

// ErrInvalidBinding is wrapped by every error ValidateBinding returns.
var ErrInvalidBinding = errors.New("invalid role binding")

type bindingError struct{ msg string }

func (e *bindingError) Error() string         { return e.msg }
func (e *bindingError) Unwrap() error         { return ErrInvalidBinding }
func invalidBinding(f string, a ...any) error { return &bindingError{fmt.Sprintf(f, a...)} }

// ValidateBinding reports whether role may be granted on a resource of kind k. Its message
// names the valid roles so that a person can act on it, e.g.
// `role "readonly" is not valid on an organization; valid roles: owner, collaborator`.
func ValidateBinding(k Kind, role Role) error {
	valid := ValidRoles(k)
	if valid == nil {
		return invalidBinding("unknown resource kind %d", uint8(k))
	}
	names := make([]string, len(valid))
	for i, v := range valid {
		if v == role {
			return nil
		}
		names[i] = v.String()
	}
	article := "a"
	if k == KindOrganization {
		article = "an"
	}
	return invalidBinding("role %q is not valid on %s %s; valid roles: %s",
		role.String(), article, k.String(), strings.Join(names, ", "))
}

// PrincipalType is who a binding grants to, or what a group member is.
type PrincipalType uint8

// The principal types. Group members are only PrincipalUser or PrincipalGroup.
const (
	PrincipalUser PrincipalType = iota + 1
	PrincipalGroup
	PrincipalServiceAccount
)

var principalNames = [...]string{PrincipalUser: "user", PrincipalGroup: "group", PrincipalServiceAccount: "service_account"}

// String returns the wire name of t ("user", "group", "service_account").
func (t PrincipalType) String() string {
	if t >= PrincipalUser && t <= PrincipalServiceAccount {
		return principalNames[t]
	}
	return fmt.Sprintf("PrincipalType(%d)", uint8(t))
}

// ParsePrincipalType parses a wire name as written by PrincipalType.String.
func ParsePrincipalType(s string) (PrincipalType, error) {
	for t := PrincipalUser; t <= PrincipalServiceAccount; t++ {
		if s == principalNames[t] {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown principal type %q; valid types: user, group, service_account", s)
}

// MarshalText makes PrincipalType a JSON string.
func (t PrincipalType) MarshalText() ([]byte, error) {
	if t < PrincipalUser || t > PrincipalServiceAccount {
		return nil, fmt.Errorf("cannot marshal invalid principal type %d", uint8(t))
	}
	return []byte(principalNames[t]), nil
}

// UnmarshalText is the inverse of MarshalText.
func (t *PrincipalType) UnmarshalText(b []byte) error {
	v, err := ParsePrincipalType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
