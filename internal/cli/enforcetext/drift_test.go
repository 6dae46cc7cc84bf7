package enforcetext

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/enforce"
)

// driftOf is a drift report over the reference organization with user1 exempt: a run, a
// grant made since, the orphan without groups and an unbound group.
func driftOf(t *testing.T) *Drift {
	t.Helper()
	s := enforce.ReferenceState()
	for i := range s.Users {
		if s.Users[i].UserName == "user1@example.com" {
			s.Users[i].Exempt = true
		}
	}
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	return &Drift{Org: "example-org", LastRunID: "run-1", LastRunAt: at, LastRunActor: "carol",
		Grants: []DriftGrant{
			{UserName: "user2@example.com", Role: "collaborator", ResourceKind: "cloud", Resource: "dev-cloud", CreatedBy: "bootstrap", CreatedAt: at.Add(time.Hour)},
			{UserName: "user2@example.com", Role: "owner", ResourceKind: "organization", Resource: "example-org", CreatedBy: "bootstrap", CreatedAt: at.Add(2 * time.Hour)},
		},
		UsersWithoutGroups: []string{"orphan-user@example.com"},
		Groups:             []DriftGroup{{Name: "eng-new", ActiveMembers: 3}},
		Plan:               enforce.Compute(s)}
}

func TestRenderDrift(t *testing.T) {
	var b bytes.Buffer
	if err := RenderDrift(&b, driftOf(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "drift.txt", b.Bytes())

	// No run, no drift: said so, and the preview follows.
	s := &access.State{Users: []access.User{{ID: "a", UserName: "a@example.com", Active: true}},
		Groups:      []access.Group{{ID: "g", DisplayName: "g", Active: true}},
		Memberships: []access.Membership{{GroupID: "g", MemberType: access.PrincipalUser, MemberID: "a"}},
		Resources:   baseResources(),
		Bindings:    []access.Binding{{ID: "b", ResourceID: "org", PrincipalType: access.PrincipalGroup, PrincipalID: "g", Role: access.RoleOwner}}}
	b.Reset()
	if err := RenderDrift(&b, &Drift{Org: "o", Plan: enforce.Compute(s)}); err != nil {
		t.Fatal(err)
	}
	golden(t, "drift_none.txt", b.Bytes())
}

func TestDriftCSV(t *testing.T) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(DriftCSVHeader); err != nil {
		t.Fatal(err)
	}
	rows := DriftCSV(driftOf(t))
	for _, r := range rows {
		if len(r) != len(DriftCSVHeader) {
			t.Fatalf("row %q has %d cells, the header %d", r, len(r), len(DriftCSVHeader))
		}
	}
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	golden(t, "drift.csv", b.Bytes())
}
