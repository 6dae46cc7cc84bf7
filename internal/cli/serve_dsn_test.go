package cli

import (
	"bytes"
	"context"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// lockedBuffer is a bytes.Buffer safe to write from the server and read from the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeNeverPrintsTheDSNPassword: a password in the DSN's query (postgres://…?password=)
// stays out of the startup log line, and a key=value DSN's password out of the error that
// refuses it.
func TestServeNeverPrintsTheDSNPassword(t *testing.T) {
	t.Run("refused key=value DSN", func(t *testing.T) {
		var out, errb lockedBuffer
		a := &App{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
		code := a.Run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--db", "host=db user=u password=KvS3cretXYZ dbname=rc"})
		if code == 0 {
			t.Fatal("serve accepted a key=value DSN")
		}
		if s := errb.String() + out.String(); strings.Contains(s, "KvS3cretXYZ") || !strings.Contains(s, "password=xxxxx") {
			t.Errorf("output holds the password or does not show it masked:\n%s", s)
		}
	})
	t.Run("startup line", func(t *testing.T) {
		u, err := url.Parse(sqltest.PostgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		// The same database, with the password moved from the userinfo to the query.
		pw, _ := u.User.Password()
		u.User = url.User(u.User.Username())
		q := u.Query()
		q.Set("password", pw)
		u.RawQuery = q.Encode()
		var out, errb lockedBuffer
		env := map[string]string{"ROLECALL_BOOTSTRAP_TOKEN": "rc_" + strings.Repeat("B", 43)}
		a := &App{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int)
		go func() { done <- a.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", u.String()}) }()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(errb.String(), "rolecall listening") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("serve exited %d:\n%s", code, errb.String())
		}
		log := errb.String()
		if !strings.Contains(log, "rolecall listening") || !strings.Contains(log, "password=xxxxx") || strings.Contains(log, "password="+pw) {
			t.Errorf("the startup line does not show the DSN with its password masked:\n%s", log)
		}
	})
}

func TestConsoleURL(t *testing.T) {
	for _, tc := range []struct {
		base, addr, want string
	}{
		{"", "[::]:8080", "http://localhost:8080/ui"},
		{"", "0.0.0.0:8080", "http://localhost:8080/ui"},
		{"", "127.0.0.1:18080", "http://127.0.0.1:18080/ui"},
		{"", "[::1]:8080", "http://[::1]:8080/ui"},
		{"https://rolecall.example.com/", "[::]:8080", "https://rolecall.example.com/ui"},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := consoleURL(tc.base, addr); got != tc.want {
			t.Errorf("consoleURL(%q, %s) = %s, want %s", tc.base, tc.addr, got, tc.want)
		}
	}
}
