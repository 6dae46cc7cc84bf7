package cli

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeDebug: --debug-addr serves the profiler's index and profiles on its own listener
// and stops with the server's context.
func TestServeDebug(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { serveDebug(ctx, l); close(done) }()
	base := "http://" + l.Addr().String()
	for path, want := range map[string]string{"/debug/pprof/": "goroutine", "/debug/pprof/cmdline": filepath.Base(os.Args[0]), "/debug/pprof/heap?debug=1": "heap profile"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("GET %s: %d %.200s; want 200 containing %q", path, resp.StatusCode, b, want)
		}
	}
	cancel()
	<-done
	if _, err := http.Get(base + "/debug/pprof/"); err == nil {
		t.Error("the profiler still answers after its context ended")
	}
}
