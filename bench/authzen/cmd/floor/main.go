// Command floor serves the AuthZEN HTTP floor (package authzen's Floor): a minimal net/http
// server that decodes each AuthZEN request and answers a constant decision. Driven by the same
// load generator as the decision points, it shows what the machine, Go's HTTP stack and the
// generator cost by themselves. It prints "listening on ADDR" once it accepts connections.
//
//	floor -addr 127.0.0.1:18095 [-prefix /stores/X]
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rolecall/rolecall/bench/authzen"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18095", "listen address (loopback)")
	prefix := flag.String("prefix", "", "path prefix before /access/v1/…")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: authzen.Floor(*prefix), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("listening on %s\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}
