package access

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestValidRolesAndValidateBinding(t *testing.T) {
	if got := ValidRoles(KindOrganization); !slices.Equal(got, []Role{RoleOwner, RoleCollaborator}) {
		t.Errorf("organization roles = %v", got)
	}
	for _, k := range []Kind{KindCloud, KindProject} {
		if got := ValidRoles(k); !slices.Equal(got, []Role{RoleOwner, RoleCollaborator, RoleReadonly}) {
			t.Errorf("%s roles = %v", k, got)
		}
	}
	tests := []struct {
		kind Kind
		role Role
		err  string
	}{
		{KindOrganization, RoleOwner, ""},
		{KindOrganization, RoleCollaborator, ""},
		{KindOrganization, RoleReadonly, `role "readonly" is not valid on an organization; valid roles: owner, collaborator`},
		{KindCloud, RoleReadonly, ""},
		{KindProject, RoleOwner, ""},
		{KindCloud, RoleNone, `role "none" is not valid on a cloud; valid roles: owner, collaborator, readonly`},
		{KindProject, RoleNone, `role "none" is not valid on a project; valid roles: owner, collaborator, readonly`},
		{Kind(9), RoleOwner, "unknown resource kind 9"},
	}
	for _, tc := range tests {
		err := ValidateBinding(tc.kind, tc.role)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("ValidateBinding(%s, %s) = %v, want nil", tc.kind, tc.role, err)
		case tc.err != "" && (err == nil || err.Error() != tc.err || !errors.Is(err, ErrInvalidBinding)):
			t.Errorf("ValidateBinding(%s, %s) = %v, want %q wrapping ErrInvalidBinding", tc.kind, tc.role, err, tc.err)
		}
	}
}

func TestRankOrder(t *testing.T) {
	if !(RoleOwner > RoleCollaborator && RoleCollaborator > RoleReadonly && RoleReadonly > RoleNone) {
		t.Fatal("rank order broken")
	}
	if MaxRole(RoleReadonly, RoleOwner) != RoleOwner || MaxRole(RoleCollaborator, RoleNone) != RoleCollaborator {
		t.Error("MaxRole")
	}
	if RoleOwner.Rank() != 3 || RoleNone.Rank() != 0 {
		t.Error("Rank")
	}
}

func TestParsers(t *testing.T) {
	for _, s := range []string{"owner", "collaborator", "readonly"} {
		r, err := ParseRole(s)
		if err != nil || r.String() != s {
			t.Errorf("ParseRole(%q) = %v, %v", s, r, err)
		}
	}
	for _, s := range []string{"", "none", "Owner", "admin"} {
		if _, err := ParseRole(s); err == nil {
			t.Errorf("ParseRole(%q) accepted", s)
		}
	}
	for _, s := range []string{"organization", "cloud", "project"} {
		k, err := ParseKind(s)
		if err != nil || k.String() != s {
			t.Errorf("ParseKind(%q) = %v, %v", s, k, err)
		}
	}
	if _, err := ParseKind("org"); err == nil {
		t.Error(`ParseKind("org") accepted`)
	}
	for _, s := range []string{"user", "group", "service_account"} {
		p, err := ParsePrincipalType(s)
		if err != nil || p.String() != s {
			t.Errorf("ParsePrincipalType(%q) = %v, %v", s, p, err)
		}
	}
	if _, err := ParsePrincipalType("serviceaccount"); err == nil {
		t.Error("ParsePrincipalType accepted a misspelling")
	}
}

func TestJSONNames(t *testing.T) {
	b := Binding{ID: "b", ResourceID: "r", PrincipalID: "p", PrincipalType: PrincipalServiceAccount, Role: RoleReadonly}
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"b","resourceId":"r","principalId":"p","principalType":"service_account","role":"readonly"}`
	if string(out) != want {
		t.Errorf("binding JSON = %s, want %s", out, want)
	}
	var back Binding
	if err := json.Unmarshal(out, &back); err != nil || back != b {
		t.Errorf("round trip = %+v, %v", back, err)
	}
	var r Role
	if err := json.Unmarshal([]byte(`"none"`), &r); err != nil || r != RoleNone {
		t.Errorf(`"none" decodes to %v, %v`, r, err)
	}
	if err := json.Unmarshal([]byte(`"superuser"`), &r); err == nil {
		t.Error("decoded an unknown role")
	}
	if _, err := json.Marshal(Role(7)); err == nil {
		t.Error("marshalled an invalid role")
	}
}

// FuzzParse checks that every parser either refuses its input or returns a value whose
// wire name is exactly the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"owner", "collaborator", "readonly", "none", "organization", "cloud", "project",
		"user", "group", "service_account", "", "OWNER", "owner\x00", "ówner"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := ParseRole(s); err == nil && (r.String() != s || ValidateBinding(KindCloud, r) != nil) {
			t.Errorf("ParseRole(%q) = %v", s, r)
		}
		if k, err := ParseKind(s); err == nil && k.String() != s {
			t.Errorf("ParseKind(%q) = %v", s, k)
		}
		if p, err := ParsePrincipalType(s); err == nil && p.String() != s {
			t.Errorf("ParsePrincipalType(%q) = %v", s, p)
		}
	})
}

func TestParseRoleOn(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		in   string
		want Role
		ok   bool
	}{
		{KindProject, "write", RoleCollaborator, true},
		{KindProject, "collaborator", RoleCollaborator, true},
		{KindProject, "owner", RoleOwner, true},
		{KindCloud, "write", RoleNone, false}, // Anyscale's alias is a project role name only
		{KindOrganization, "write", RoleNone, false},
		{KindProject, "Write", RoleNone, false}, // case is the caller's business, as for ParseRole
		{KindProject, "admin", RoleNone, false},
	} {
		got, err := ParseRoleOn(tc.kind, tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseRoleOn(%s, %q) = %v, %v; want %v ok=%v", tc.kind, tc.in, got, err, tc.want, tc.ok)
		}
	}
	if _, err := ParseRoleOn(KindProject, "admin"); err == nil || !strings.Contains(err.Error(), "alias write") {
		t.Errorf("unknown project role error %v does not mention the alias", err)
	}
}
