// Command fgaload loads a benchmark population into OpenFGA over its HTTP API: it creates a
// store, writes the model (package authzen's model.json) and then the tuples of a tuples.jsonl
// written by rolecall's cmd/authzpop, in Write requests of at most -batch tuples (OpenFGA's
// --max-tuples-per-write, 100 by default) from -c concurrent writers, with progress on stderr
// and the total time at the end. On stdout it prints `store_id=…` and `model_id=…`, for scripts.
//
//	fgaload -url http://127.0.0.1:18090 -tuples /tmp/pop10k/tuples.jsonl
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rolecall/rolecall/bench/authzen"
)

type tuple struct {
	User     string `json:"user"`
	Relation string `json:"relation"`
	Object   string `json:"object"`
}

func main() {
	base := flag.String("url", "http://127.0.0.1:18090", "OpenFGA HTTP API base URL")
	file := flag.String("tuples", "", "tuples.jsonl from authzpop")
	name := flag.String("store", "rolecall-bench", "name of the store created")
	batch := flag.Int("batch", 100, "tuples per Write request (at most OpenFGA's --max-tuples-per-write)")
	conc := flag.Int("c", 4, "concurrent Write requests")
	token := flag.String("token", "", "OpenFGA preshared key, if it requires one")
	flag.Parse()
	if *file == "" || *batch <= 0 || *conc <= 0 {
		fmt.Fprintln(os.Stderr, "fgaload: -tuples is required; -batch and -c must be positive")
		os.Exit(2)
	}
	l := &loader{base: strings.TrimRight(*base, "/"), token: *token, http: &http.Client{Timeout: time.Minute}}
	if err := l.run(context.Background(), *file, *name, *batch, *conc); err != nil {
		fmt.Fprintln(os.Stderr, "fgaload:", err)
		os.Exit(1)
	}
}

type loader struct {
	base, token string
	http        *http.Client
}

func (l *loader) run(ctx context.Context, file, name string, batch, conc int) error {
	t0 := time.Now()
	var store struct {
		ID string `json:"id"`
	}
	if err := l.post(ctx, "/stores", map[string]string{"name": name}, &store); err != nil {
		return fmt.Errorf("creating the store: %w", err)
	}
	var model struct {
		ID string `json:"authorization_model_id"`
	}
	if err := l.post(ctx, "/stores/"+store.ID+"/authorization-models", json.RawMessage(authzen.ModelJSON), &model); err != nil {
		return fmt.Errorf("writing the model: %w", err)
	}
	fmt.Printf("store_id=%s\nmodel_id=%s\n", store.ID, model.ID)
	fmt.Fprintf(os.Stderr, "fgaload: store %s, model %s\n", store.ID, model.ID)

	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	batches := make(chan []tuple, conc)
	var written atomic.Int64
	var firstErr error
	var once sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				body := map[string]any{
					"writes":                 map[string]any{"tuple_keys": b, "on_duplicate": "ignore"},
					"authorization_model_id": model.ID,
				}
				if err := l.post(ctx, "/stores/"+store.ID+"/write", body, nil); err != nil {
					once.Do(func() { firstErr = fmt.Errorf("writing tuples: %w", err); cancel() })
					continue
				}
				written.Add(int64(len(b)))
			}
		}()
	}
	done := make(chan struct{})
	go func() { // progress
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				n := written.Load()
				fmt.Fprintf(os.Stderr, "fgaload: %d tuples in %s (%.0f/s)\n", n, time.Since(t0).Round(time.Second), float64(n)/time.Since(t0).Seconds())
			}
		}
	}()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	cur := make([]tuple, 0, batch)
	var readErr error
	for sc.Scan() && ctx.Err() == nil {
		var t tuple
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			readErr = fmt.Errorf("%s: %w", file, err)
			break
		}
		cur = append(cur, t)
		if len(cur) == batch {
			batches <- cur
			cur = make([]tuple, 0, batch)
		}
	}
	if len(cur) > 0 && readErr == nil && ctx.Err() == nil {
		batches <- cur
	}
	close(batches)
	wg.Wait()
	close(done)
	if readErr == nil {
		readErr = sc.Err()
	}
	if err := errors.Join(firstErr, readErr); err != nil {
		return err
	}
	el := time.Since(t0)
	fmt.Fprintf(os.Stderr, "fgaload: loaded %d tuples into store %s in %s (%.0f tuples/s)\n",
		written.Load(), store.ID, el.Round(time.Millisecond), float64(written.Load())/el.Seconds())
	return nil
}

// post sends one JSON request, retrying a few times on 429 and 5xx, and decodes the answer
// into out (when not nil).
func (l *loader) post(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	var last error
	for attempt := range 6 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt*attempt) * 200 * time.Millisecond):
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.base+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if l.token != "" {
			req.Header.Set("Authorization", "Bearer "+l.token)
		}
		resp, err := l.http.Do(req)
		if err != nil {
			last = err
			continue
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			last = fmt.Errorf("POST %s: %s: %s", path, resp.Status, data)
			continue
		}
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("POST %s: %s: %s", path, resp.Status, data)
		}
		if out != nil {
			return json.Unmarshal(data, out)
		}
		return nil
	}
	return last
}
