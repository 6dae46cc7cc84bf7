package service

import (
	"strings"
	"testing"
)

func TestValidateGrantRole(t *testing.T) {
	for _, c := range []struct {
		kind, role string
		ok         bool
		want       string
	}{
		{"organization", "owner", true, ""},
		{"organization", "collaborator", true, ""},
		{"organization", "readonly", false, "valid roles: owner, collaborator"},
		{"cloud", "readonly", true, ""},
		{"project", "collaborator", true, ""},
		{"project", "none", false, "owner, collaborator, readonly"},
		{"cloud", "", false, "role is required"},
		{"cloud", "Owner", false, `unknown role "Owner"`},
	} {
		k, err := ParseResourceKind(c.kind)
		if err != nil {
			t.Fatal(err)
		}
		err = validateGrantRole(k, c.role)
		if (err == nil) != c.ok || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("validateGrantRole(%s, %q) = %v, want ok=%v containing %q", c.kind, c.role, err, c.ok, c.want)
		}
	}
	if _, err := ParseResourceKind("folder"); err == nil {
		t.Error("ParseResourceKind(folder) succeeded")
	}
	if _, err := ParsePrincipalType("robot"); err == nil {
		t.Error("ParsePrincipalType(robot) succeeded")
	}
}
