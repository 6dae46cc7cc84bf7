package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/scimload"
)

// TestPopulationAgainstTheFloor is the benchmark's path end to end, with the real floor
// server over real HTTP: authzpop writes a small population's requests (and seeds a SQLite
// database), scimload drives the floor (bench/authzen/cmd/floor, built from its own module)
// with them. The floor allows everything, so the only mismatches are the expected denies.
func TestPopulationAgainstTheFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the floor server")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the floor with")
	}
	dir := t.TempDir()
	var log bytes.Buffer
	if code := run(context.Background(), []string{"-users", "1000", "-evaluations", "300", "-searches", "20", "-out", dir,
		"-sqlite", filepath.Join(dir, "rolecall.db"), "-token", "test-bootstrap-token-0123456789abcdef"}, io.Discard, &log); code != 0 {
		t.Fatalf("authzpop: %d: %s", code, log.String())
	}
	for _, f := range []string{"tuples.jsonl", "evaluations.jsonl", "searches.jsonl", "spec.json", "rolecall.db"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	denies := 0
	data, _ := os.ReadFile(filepath.Join(dir, "evaluations.jsonl"))
	denies = strings.Count(string(data), `"expect":false`)

	bin := filepath.Join(dir, "floor")
	build := exec.Command(goBin, "build", "-o", bin, "./cmd/floor")
	build.Dir = filepath.Join("..", "..", "bench", "authzen")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the floor: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	floor := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0")
	stdout, _ := floor.StdoutPipe()
	if err := floor.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = floor.Process.Kill(); _ = floor.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		t.Fatalf("floor said %q: %v", line, err)
	}
	for _, tc := range []struct {
		workload, file string
		n              int
		mismatches     int64
	}{
		{"authz-eval", "evaluations.jsonl", 300, int64(denies)},
		{"authz-batch", "evaluations.jsonl", 3, int64(denies)},
		{"authz-search", "searches.jsonl", 20, -1},
	} {
		res, err := scimload.Run(ctx, scimload.Config{BaseURL: "http://" + addr, Workload: tc.workload, N: tc.n,
			Concurrency: 2, Requests: filepath.Join(dir, tc.file)})
		if err != nil {
			t.Fatalf("%s: %v", tc.workload, err)
		}
		if res.Errors != 0 || res.Ops != int64(tc.n) || (tc.mismatches >= 0 && *res.Mismatches != tc.mismatches) {
			t.Errorf("%s: %d ops, %d errors, %d mismatches (want %d): %v", tc.workload, res.Ops, res.Errors, *res.Mismatches, tc.mismatches, res.ErrorDetails)
		}
	}
}
