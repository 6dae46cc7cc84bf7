package server

import (
	"net"
	"sync"
	"sync/atomic"
)

// Connection cap (serve --max-conns). Without one, every accepted connection holds a file
// descriptor until a timeout frees it, and enough idle connections exhaust the process's
// descriptors ("accept4: too many open files"), which also stops the database from opening
// files. With the cap, Accept waits while maxConns connections are open: further clients
// wait in the kernel's listen backlog (and their dials time out if it stays full) instead of
// taking descriptors, and the server keeps serving the connections it holds. Idle
// keep-alive connections are released by the server's idle timeout, slow or stalled ones by
// the read-header and read timeouts (Serve), so the slots turn over.

// limitListener is a net.Listener that keeps at most cap(sem) accepted connections open
// (any number when sem is nil) and counts them in open.
type limitListener struct {
	net.Listener
	sem  chan struct{}
	open *atomic.Int64 // connections open now, for the metrics gauge

	closeOnce sync.Once
	done      chan struct{} // closed by Close, to wake an Accept waiting for a slot
}

// newLimitListener caps l at n open connections (no cap when n ≤ 0), counting them in open.
func newLimitListener(l net.Listener, n int, open *atomic.Int64) net.Listener {
	ll := &limitListener{Listener: l, open: open, done: make(chan struct{})}
	if n > 0 {
		ll.sem = make(chan struct{}, n)
	}
	return ll
}

// Accept waits for a free slot, then for a connection.
func (l *limitListener) Accept() (net.Conn, error) {
	if l.sem != nil {
		select {
		case l.sem <- struct{}{}:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		if l.sem != nil {
			<-l.sem
		}
		return nil, err
	}
	l.open.Add(1)
	return &limitConn{Conn: c, release: l.release}, nil
}

func (l *limitListener) release() {
	l.open.Add(-1)
	if l.sem != nil {
		<-l.sem
	}
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn gives its slot back when it is closed, once however often Close is called.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
