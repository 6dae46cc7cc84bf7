package enforcetext

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/enforce"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites the file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

// noLinesState has direct bindings that groups already cover: something to delete, but no
// user's access changes.
func noLinesState() *access.State {
	return &access.State{
		Users:       []access.User{{ID: "alice", UserName: "alice@example.com", Active: true}},
		Groups:      []access.Group{{ID: "admins", DisplayName: "admins", Active: true}},
		Memberships: []access.Membership{{GroupID: "admins", MemberType: access.PrincipalUser, MemberID: "alice"}},
		Resources:   baseResources(),
		Bindings: []access.Binding{
			{ID: "b1", ResourceID: "org", PrincipalType: access.PrincipalGroup, PrincipalID: "admins", Role: access.RoleOwner},
			{ID: "b2", ResourceID: "c1", PrincipalType: access.PrincipalUser, PrincipalID: "alice", Role: access.RoleCollaborator},
			{ID: "b3", ResourceID: "org", PrincipalType: access.PrincipalUser, PrincipalID: "alice", Role: access.RoleOwner},
		},
	}
}

// baseResources is the org the planner's own tests use: the org, two clouds, two projects.
func baseResources() []access.Resource {
	return []access.Resource{
		{ID: "org", Kind: access.KindOrganization, Name: "acme"},
		{ID: "c1", Kind: access.KindCloud, Name: "cloud-a"},
		{ID: "c2", Kind: access.KindCloud, Name: "cloud-b"},
		{ID: "p1", Kind: access.KindProject, Name: "proj-a", ParentID: "c1"},
		{ID: "p2", Kind: access.KindProject, Name: "proj-b", ParentID: "c2"},
	}
}

// referencePreview is the preview section of the reference page, indented two spaces per
// level as DESIGN.md asks.
const referencePreview = `=== Permission Changes Preview ===

user1@example.com:
  - clouds:
    - prod-cloud: collaborator -> readonly
    - staging-cloud: owner -> (removed)
  - projects:
    - proj-1: collaborator -> readonly
  - organization: owner -> collaborator

user2@example.com:
  - clouds:
    - dev-cloud: collaborator -> (removed)

--- Users to be removed (not in any active user group) ---
- orphan-user@example.com
`

func TestReferencePreview(t *testing.T) {
	var b strings.Builder
	if err := RenderPlan(&b, TitlePreview, enforce.Compute(enforce.ReferenceState())); err != nil {
		t.Fatal(err)
	}
	if b.String() != referencePreview {
		t.Errorf("preview differs from the reference:\n--- got ---\n%s--- want ---\n%s", b.String(), referencePreview)
	}
}

// exemptState is the reference organization with two break-glass users: user1, whose
// direct grants would otherwise drop, and orphan-user, who would otherwise be removed.
func exemptState() *access.State {
	s := enforce.ReferenceState()
	for i := range s.Users {
		if n := s.Users[i].UserName; n == "user1@example.com" || n == "orphan-user@example.com" {
			s.Users[i].Exempt = true
		}
	}
	return s
}

func TestGoldenText(t *testing.T) {
	ref := enforce.Compute(enforce.ReferenceState())
	cases := []struct {
		file   string
		render func(*bytes.Buffer) error
	}{
		{"reference_preview.txt", func(b *bytes.Buffer) error { return RenderPlan(b, TitlePreview, ref) }},
		{"reference_applied.txt", func(b *bytes.Buffer) error { return RenderPlan(b, TitleApplied, ref) }},
		{"reference_confirm.txt", func(b *bytes.Buffer) error { return RenderConfirmation(b, ref) }},
		{"empty_preview.txt", func(b *bytes.Buffer) error {
			return RenderPlan(b, TitlePreview, enforce.Compute(&access.State{Resources: baseResources()}))
		}},
		{"nolines_preview.txt", func(b *bytes.Buffer) error { return RenderPlan(b, TitlePreview, enforce.Compute(noLinesState())) }},
		{"noowner_confirm.txt", func(b *bytes.Buffer) error {
			s := enforce.ReferenceState()
			s.Groups[4].Active = false // org-admins: nobody owns the org afterwards
			return RenderConfirmation(b, enforce.Compute(s))
		}},
		{"reference_dryrun.txt", func(b *bytes.Buffer) error { return dryRunTranscript(b, ref) }},
		{"exempt_preview.txt", func(b *bytes.Buffer) error { return RenderPlan(b, TitlePreview, enforce.Compute(exemptState())) }},
		{"exempt_confirm.txt", func(b *bytes.Buffer) error { return RenderConfirmation(b, enforce.Compute(exemptState())) }},
		// Both reference projects public: user1 keeps collaborator on proj-1 through
		// engineering's role on prod-cloud (no line), while user2's direct dev-cloud role took
		// the public proj-2's collaborator with it (readonly remains, from developers).
		{"public_preview.txt", func(b *bytes.Buffer) error {
			s := enforce.ReferenceState()
			for i := range s.Resources {
				s.Resources[i].Public = s.Resources[i].Kind == access.KindProject
			}
			return RenderPlan(b, TitlePreview, enforce.Compute(s))
		}},
		{"exempt_only_preview.txt", func(b *bytes.Buffer) error {
			s := noLinesState()
			s.Users[0].Exempt = true
			return RenderPlan(b, TitlePreview, enforce.Compute(s))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.render(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, b.Bytes())
		})
	}
}

// dryRunTranscript composes the pieces the way `rolecall scim enforce-groups --dry-run`
// prints them.
func dryRunTranscript(b *bytes.Buffer, p *enforce.Plan) error {
	if err := RenderElapsed(b, 500*time.Millisecond, MsgDryRunStart); err != nil {
		return err
	}
	b.WriteString("\n")
	if err := RenderPlan(b, TitlePreview, p); err != nil {
		return err
	}
	b.WriteString("\n" + MsgDryRunFooter + "\n")
	return nil
}

func TestBoxLinesHaveEqualWidth(t *testing.T) {
	for _, lines := range [][]string{
		ConfirmationLines(enforce.Compute(enforce.ReferenceState())),
		{"x"},
		{"a much longer line than the title of the box, to push the border out wide"},
		{},
	} {
		var b strings.Builder
		if err := RenderBox(&b, "⚠️ Confirmation Required", lines); err != nil {
			t.Fatal(err)
		}
		rows := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if len(rows) != len(lines)+2 {
			t.Fatalf("box has %d rows, want %d", len(rows), len(lines)+2)
		}
		w := DisplayWidth(rows[0])
		for _, r := range rows {
			if DisplayWidth(r) != w {
				t.Errorf("row %q is %d wide, top is %d:\n%s", r, DisplayWidth(r), w, b.String())
			}
		}
		if !strings.HasPrefix(rows[0], "╭─") || !strings.Contains(rows[0], "─ ⚠️ Confirmation Required ─") ||
			!strings.HasSuffix(rows[0], "─╮") || !strings.HasPrefix(rows[len(rows)-1], "╰─") {
			t.Errorf("box borders wrong:\n%s", b.String())
		}
	}
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{
		"":                           0,
		"abc":                        3,
		"⚠️":                         2,
		"⚠":                          1,
		" ⚠️ Confirmation Required ": 26,
		"╭─╮│╰╯":                     6,
		"日本":                         4,
		"e\u0301":                    1,
	} {
		if got := DisplayWidth(s); got != want {
			t.Errorf("DisplayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestElapsed(t *testing.T) {
	for d, want := range map[time.Duration]string{
		500 * time.Millisecond:  "(rolecall +0.5s)",
		1500 * time.Millisecond: "(rolecall +1.5s)",
		2 * time.Second:         "(rolecall +2.0s)",
		42 * time.Millisecond:   "(rolecall +0.0s)",
		-time.Second:            "(rolecall +0.0s)",
		75 * time.Second:        "(rolecall +75.0s)",
	} {
		if got := Elapsed(d); got != want {
			t.Errorf("Elapsed(%v) = %q, want %q", d, got, want)
		}
	}
	var b strings.Builder
	if err := RenderElapsed(&b, 1500*time.Millisecond, MsgApplyStart); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "(rolecall +1.5s) Starting SCIM permission migration...\n" {
		t.Errorf("RenderElapsed wrote %q", got)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderReportsWriteErrors(t *testing.T) {
	p := enforce.Compute(enforce.ReferenceState())
	if err := RenderPlan(failWriter{}, TitlePreview, p); err == nil {
		t.Error("RenderPlan swallowed a write error")
	}
	if err := RenderConfirmation(failWriter{}, p); err == nil {
		t.Error("RenderConfirmation swallowed a write error")
	}
}
