package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// provisionServer answers POST /Users like a SCIM server (or with 500 when broken).
func provisionServer(t *testing.T, broken bool) string {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u struct{ UserName string }
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &u)
		if broken || r.Method != "POST" || r.URL.Path != "/scim/v2/Users" || r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(500)
			return
		}
		w.WriteHeader(201)
		_ = json.NewEncoder(w).Encode(map[string]any{"id": fmt.Sprint(n.Add(1)), "userName": u.UserName})
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/scim/v2"
}

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		args     func(url string) []string
		broken   bool
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"json last line", func(u string) []string {
			return []string{"-url", u, "-token", "tok", "-workload", "provision", "-n", "50", "-c", "3", "-json", "-q"}
		}, false, 0, `"workload":"provision"`, ""},
		{"errors exit 1", func(u string) []string {
			return []string{"-url", u, "-token", "tok", "-workload", "provision", "-n", "10", "-json", "-q"}
		}, true, 1, `"errors":10`, ""},
		{"unknown workload", func(u string) []string { return []string{"-url", u, "-workload", "x"} }, false, 2, "", "unknown workload"},
		{"stray argument", func(u string) []string { return []string{"-url", u, "-workload", "lookup", "extra"} }, false, 2, "", "unexpected arguments"},
		{"bad flag", func(u string) []string { return []string{"-nope"} }, false, 2, "", "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args(provisionServer(t, tc.broken)), &out, &errb)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.wantCode, errb.String())
			}
			if !strings.Contains(errb.String(), tc.wantErr) {
				t.Errorf("stderr %q does not mention %q", errb.String(), tc.wantErr)
			}
			if tc.wantOut == "" {
				return
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			last := lines[len(lines)-1]
			if !strings.Contains(last, tc.wantOut) {
				t.Fatalf("last line %q does not contain %q", last, tc.wantOut)
			}
			var res map[string]any
			if err := json.Unmarshal([]byte(last), &res); err != nil {
				t.Fatalf("last line is not JSON: %v", err)
			}
			for _, k := range []string{"workload", "ops", "errors", "throughput", "p50_ms", "p95_ms", "p99_ms", "max_ms", "setup_s"} {
				if _, ok := res[k]; !ok {
					t.Errorf("JSON lacks %s: %s", k, last)
				}
			}
		})
	}
}

func TestTokenFromEnvironment(t *testing.T) {
	old := getenv
	t.Cleanup(func() { getenv = old })
	getenv = func(k string) string {
		if k == "SCIMLOAD_TOKEN" {
			return "tok"
		}
		return ""
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-url", provisionServer(t, false), "-workload", "provision", "-n", "5", "-q"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
}
