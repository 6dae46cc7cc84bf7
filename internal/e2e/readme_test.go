package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/testenv"
)

// TestReadme runs the code blocks of README's "First steps" as written, in one bash session
// against a fresh `rolecall serve` (the real binary, as `rolecall` on PATH) on SQLite and
// PostgreSQL. The only changes are the values of the two variables the README itself defines
// (`export ROLECALL_URL=…` and `export ROLECALL_TOKEN=…`), which become the test server's URL
// and the admin token it printed. The session runs in a pseudo-terminal (script(1)) because
// the README's enforce-groups step asks for confirmation; the test answers "y" as the reader
// would. Each block must succeed (set -e) and print what the README says it does.
func TestReadme(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "script"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: README's first steps need it (curl, bash; script(1) from util-linux gives the confirmation prompt a terminal)", tool)
		}
	}
	blocks := readmeBlocks(t, "First steps")
	if len(blocks) < 5 {
		t.Fatalf("README's First steps has %d sh blocks, want at least 5:\n%q", len(blocks), blocks)
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			p := testenv.StartServe(t, b.dsn, nil)
			m := regexp.MustCompile(`export ROLECALL_TOKEN=(rc_\S+)`).FindStringSubmatch(p.Log())
			if m == nil {
				t.Fatalf("serve printed no admin token on its first start:\n%s", p.Log())
			}
			outs := runBlocks(t, blocks, p.URL, m[1])
			expect := [][]string{
				nil, // exports and the scim token: nothing printed
				{`"displayName":"engineering"`, "alice@example.com", `"value":"`}, // the group answer, user list, members
				{"prod-cloud", "proj-1", "readonly", "engineering", "owner", "alice@example.com", "=== Permission Changes Preview ===",
					"(No changes were applied. Remove --dry-run to apply changes.)"},
				{"Granted owner on the organization to group engineering.", "Do you want to proceed? [y/N]", "SCIM permission migration completed successfully.", "Restore point kept as run "},
				{"alice@example.com is exempt from enforce-groups: on-call break-glass", "=== Drift Report ===", "Auto-apply:  on, at most 5 users removed"},
			}
			for i, out := range outs {
				t.Logf("block %d printed:\n%s", i+1, out)
			}
			for i, want := range expect {
				for _, w := range want {
					if !strings.Contains(outs[i], w) {
						t.Errorf("block %d does not print %q:\n%s\n--- output ---\n%s", i+1, w, blocks[i], outs[i])
					}
				}
			}
			// The prose after the last block: undo with the run id enforce-groups printed.
			run := regexp.MustCompile(`Restore point kept as run ([0-9a-f-]{36})`).FindStringSubmatch(outs[3])
			if run == nil {
				t.Fatalf("no run id in:\n%s", outs[3])
			}
			if !strings.Contains(outs[3], run[1]) || strings.Count(outs[3], run[1]) < 2 {
				t.Errorf("`rolecall scim runs list` does not list run %s:\n%s", run[1], outs[3])
			}
			out, errs, code := cli(t, p.URL, m[1], "scim", "enforce-groups", "undo", run[1])
			if code != 0 || !strings.Contains(out, "Undid enforce-groups run "+run[1]) {
				t.Errorf("undo RUN_ID: exit %d\n%s%s", code, out, errs)
			}
		})
	}
}

// readmeBlocks returns the ```sh blocks of README's section named title.
func readmeBlocks(t *testing.T, title string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "\n## "+title+"\n")
	if start < 0 {
		t.Fatalf("README has no section %q", title)
	}
	section := text[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// Only the values of the variables README defines are replaced, not its commands.
var (
	urlLine   = regexp.MustCompile(`(?m)^export ROLECALL_URL=\S+`)
	tokenLine = regexp.MustCompile(`(?m)^export ROLECALL_TOKEN=\S+`)
)

// runBlocks runs blocks in one bash session in a pseudo-terminal, with "y" typed for the
// confirmation, and returns each block's output. It fails the test if a block fails.
func runBlocks(t *testing.T, blocks []string, url, token string) []string {
	t.Helper()
	dir := t.TempDir()
	var sb strings.Builder
	sb.WriteString("set -e -o pipefail\ncd " + dir + "\n")
	for i, b := range blocks {
		b = urlLine.ReplaceAllLiteralString(b, "export ROLECALL_URL="+url)
		b = tokenLine.ReplaceAllLiteralString(b, "export ROLECALL_TOKEN="+token)
		fmt.Fprintf(&sb, "echo '@@block %d begin@@'\n%s\necho '@@block %d end@@'\n", i, b, i)
	}
	script := filepath.Join(dir, "first-steps.sh")
	if err := os.WriteFile(script, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// The binary as `rolecall` first on PATH; no ROLECALL_* from the test's environment.
	env := []string{"PATH=" + filepath.Dir(testenv.Binary(t)) + ":" + os.Getenv("PATH"), "HOME=" + dir, "TERM=dumb"}
	cmd := exec.Command("script", "-q", "-e", "-c", "bash "+script, "/dev/null")
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Answer the one prompt when it shows, as a person would; keep stdin open until the
	// session ends, so that script(1) does not end it early.
	answered := false
	var werr error
	deadline := time.After(3 * time.Minute)
wait:
	for {
		select {
		case werr = <-done:
			break wait
		case <-deadline:
			_ = cmd.Process.Kill()
			werr = <-done
			t.Errorf("README's first steps did not finish within 3 minutes")
			break wait
		case <-time.After(50 * time.Millisecond):
			if !answered && strings.Contains(out.String(), "[y/N]") {
				_, _ = stdin.Write([]byte("y\n"))
				answered = true
			}
		}
	}
	stdin.Close()
	text := strings.ReplaceAll(out.String(), "\r\n", "\n")
	outs := make([]string, len(blocks))
	for i := range blocks {
		begin := fmt.Sprintf("@@block %d begin@@\n", i)
		end := fmt.Sprintf("@@block %d end@@\n", i)
		b, e := strings.Index(text, begin), strings.Index(text, end)
		switch {
		case b < 0:
			t.Fatalf("block %d did not run (exit: %v):\n%s\n--- session ---\n%s", i+1, werr, blocks[i], text)
		case e < 0:
			t.Fatalf("block %d failed (exit: %v):\n%s\n--- its output ---\n%s", i+1, werr, blocks[i], text[b+len(begin):])
		}
		outs[i] = text[b+len(begin) : e]
	}
	if werr != nil {
		t.Fatalf("the session ended with %v:\n%s", werr, text)
	}
	return outs
}

// syncBuffer is a strings.Builder that the command writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
