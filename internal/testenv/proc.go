package testenv

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is a running `rolecall serve` of the binary Binary built, with its log kept for
// failure messages. It is killed when the test ends if it is still running.
type Proc struct {
	URL string // http://host:port it listens on

	cmd  *exec.Cmd
	mu   sync.Mutex
	log  strings.Builder
	done chan error // holds the exit error once the process is gone; whoever reads it puts it back
}

// listenRE finds the listen address in the text or the JSON log format.
var listenRE = regexp.MustCompile(`rolecall listening"?[ ,]"?addr"?[=:]"?([^"\s]+)`)

// StartServe runs `rolecall serve --addr 127.0.0.1:0 --db dsn args...` with env added to the
// environment, and waits until it listens.
func StartServe(t testing.TB, dsn string, env []string, args ...string) *Proc {
	t.Helper()
	return Start(t, "", env, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn}, args...)...)
}

// Start runs the binary with args in dir (empty: the test's working directory) and env
// added to the environment, and waits until it logs "rolecall listening" with its address:
// `serve`, or `demo --serve` once its organization is seeded. Stdout and stderr both go to
// Log.
func Start(t testing.TB, dir string, env []string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	// One pipe for both streams, so that Log keeps their order.
	stderr, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close()
	if err != nil {
		stderr.Close()
		t.Fatal(err)
	}
	p := &Proc{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20) // debug logs carry long lines
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		stderr.Close()
		p.done <- cmd.Wait()
	}()
	t.Cleanup(p.Kill)
	select {
	case a := <-addr:
		p.URL = "http://" + a
	case err := <-p.done:
		p.done <- err
		t.Fatalf("server exited before listening: %v\n%s", err, p.Log())
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start listening\n%s", p.Log())
	}
	return p
}

// Log is what the server has logged so far.
func (p *Proc) Log() string { p.mu.Lock(); defer p.mu.Unlock(); return p.log.String() }

// Kill sends SIGKILL (no graceful anything) and waits for the process to be gone.
func (p *Proc) Kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	err := <-p.done
	p.done <- err
}

// Stop sends SIGTERM and fails the test unless the server exits cleanly within 20 s.
func (p *Proc) Stop(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("server exited with %v after SIGTERM\n%s", err, p.Log())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("server did not stop within 20 s of SIGTERM\n%s", p.Log())
	}
}
