package enforce

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/access"
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
		Users:       []access.User{user("alice")},
		Groups:      []access.Group{group("admins")},
		Memberships: []access.Membership{member("admins", U, "alice")},
		Resources:   baseResources(),
		Bindings:    []access.Binding{bind("org", G, "admins", owner), bind("c1", U, "alice", collab), bind("org", U, "alice", owner)},
	}
}

func TestGoldenText(t *testing.T) {
	ref := Compute(ReferenceState())
	cases := []struct {
		file   string
		render func(*bytes.Buffer) error
	}{
		{"reference_preview.txt", func(b *bytes.Buffer) error { return RenderPlan(b, TitlePreview, ref) }},
		{"reference_applied.txt", func(b *bytes.Buffer) error { return RenderPlan(b, TitleApplied, ref) }},
		{"reference_confirm.txt", func(b *bytes.Buffer) error { return RenderConfirmation(b, ref) }},
		{"empty_preview.txt", func(b *bytes.Buffer) error {
			return RenderPlan(b, TitlePreview, Compute(&access.State{Resources: baseResources()}))
		}},
		{"nolines_preview.txt", func(b *bytes.Buffer) error { return RenderPlan(b, TitlePreview, Compute(noLinesState())) }},
		{"noowner_confirm.txt", func(b *bytes.Buffer) error {
			s := ReferenceState()
			s.Groups[4].Active = false // org-admins: nobody owns the org afterwards
			return RenderConfirmation(b, Compute(s))
		}},
		{"reference_dryrun.txt", func(b *bytes.Buffer) error { return dryRunTranscript(b, ref) }},
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
func dryRunTranscript(b *bytes.Buffer, p *Plan) error {
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

func TestGoldenJSON(t *testing.T) {
	for file, s := range map[string]*access.State{
		"reference_plan.json": ReferenceState(),
		"empty_plan.json":     {Resources: baseResources()},
	} {
		t.Run(file, func(t *testing.T) {
			p := Compute(s)
			got, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, file, append(got, '\n'))
			var back Plan
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("plan JSON does not decode: %v", err)
			}
			again, _ := json.MarshalIndent(&back, "", "  ")
			if !bytes.Equal(again, got) {
				t.Errorf("JSON does not round-trip:\n%s\n%s", got, again)
			}
		})
	}
}

func TestBoxLinesHaveEqualWidth(t *testing.T) {
	for _, lines := range [][]string{
		ConfirmationLines(Compute(ReferenceState())),
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
	p := Compute(ReferenceState())
	if err := RenderPlan(failWriter{}, TitlePreview, p); err == nil {
		t.Error("RenderPlan swallowed a write error")
	}
	if err := RenderConfirmation(failWriter{}, p); err == nil {
		t.Error("RenderConfirmation swallowed a write error")
	}
}
