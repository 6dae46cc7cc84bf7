package scimload

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// isAuthZEN reports whether workload drives an AuthZEN decision point.
func isAuthZEN(workload string) bool { return strings.HasPrefix(workload, "authz-") }

// authzRequest is one line of a requests file: an AuthZEN evaluation (subject, action,
// resource, and the expected decision) or a resource search (the expected number of results).
// Other fields on the line are ignored; nothing but subject, action and resource is sent.
type authzRequest struct {
	Subject  json.RawMessage `json:"subject"`
	Action   json.RawMessage `json:"action"`
	Resource json.RawMessage `json:"resource"`
	Expect   json.RawMessage `json:"expect"`
}

// authzItem is a request ready to send.
type authzItem struct {
	body        []byte // the evaluation or search request body
	expectAllow bool
	expectCount int
	hasExpect   bool
}

// readAuthzRequests reads a requests file (JSON lines) into items.
func readAuthzRequests(path string, search bool, atAs string) ([]authzItem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var items []authzItem
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var q authzRequest
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if q.Subject == nil || q.Action == nil || q.Resource == nil {
			return nil, fmt.Errorf("%s:%d: subject, action and resource are required", path, line)
		}
		if atAs != "" {
			var subj map[string]any
			if err := json.Unmarshal(q.Subject, &subj); err != nil {
				return nil, fmt.Errorf("%s:%d: subject: %w", path, line, err)
			}
			if id, ok := subj["id"].(string); ok {
				subj["id"] = strings.ReplaceAll(id, "@", atAs)
			}
			if q.Subject, err = json.Marshal(subj); err != nil {
				return nil, err
			}
		}
		body, err := json.Marshal(struct {
			Subject  json.RawMessage `json:"subject"`
			Action   json.RawMessage `json:"action"`
			Resource json.RawMessage `json:"resource"`
		}{q.Subject, q.Action, q.Resource})
		if err != nil {
			return nil, err
		}
		it := authzItem{body: body}
		if q.Expect != nil {
			it.hasExpect = true
			if search {
				err = json.Unmarshal(q.Expect, &it.expectCount)
			} else {
				err = json.Unmarshal(q.Expect, &it.expectAllow)
			}
			if err != nil {
				return nil, fmt.Errorf("%s:%d: expect: %w", path, line, err)
			}
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%s: no requests", path)
	}
	return items, nil
}

// batchBody renders a batch of evaluations: each item carries its own subject, action and
// resource (no top-level defaults), so that every decision point gets the same triples as
// the single evaluations.
func batchBody(items []authzItem) []byte {
	var b bytes.Buffer
	b.WriteString(`{"evaluations":[`)
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it.body)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// searchBody adds a page object to a search request body.
func searchBody(body []byte, token string, limit int) []byte {
	if token == "" && limit == 0 {
		return body
	}
	page := map[string]any{}
	if token != "" {
		page["token"] = token
	}
	if limit > 0 {
		page["limit"] = limit
	}
	p, _ := json.Marshal(page)
	out := append([]byte(nil), body[:len(body)-1]...)
	out = append(out, `,"page":`...)
	out = append(out, p...)
	return append(out, '}')
}

// decisionOf reads {"decision": bool} (a missing decision is a deny: some servers leave a
// false out of their JSON).
func decisionOf(raw json.RawMessage) (bool, error) {
	var d struct {
		Decision *bool `json:"decision"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return false, fmt.Errorf("not a decision: %.200s", raw)
	}
	return d.Decision != nil && *d.Decision, nil
}

func checkOK(st int, b []byte) error {
	if st != 200 {
		return fmt.Errorf("status %d: %.300s", st, b)
	}
	return nil
}

// authzen runs authz-eval (one evaluation per request), authz-batch (BatchSize evaluations
// per request) or authz-search (one resource search per task, following page.next_token to
// the last page). Task t takes the file's requests in order from t (or t×BatchSize), wrapping
// around, so that every target gets the same requests in the same order.
func (r *runner) authzen(ctx context.Context) (*Result, error) {
	c := r.cfg
	search := c.Workload == "authz-search"
	items, err := readAuthzRequests(c.Requests, search, c.AtAs)
	if err != nil {
		return nil, err
	}
	var allowed, mismatches, decisions atomic.Int64
	p := r.measured()
	var k kind
	switch c.Workload {
	case "authz-eval":
		k = kEvaluation
		p.run(ctx, c.Concurrency, c.Seed, func(ctx context.Context, w *worker, t int) error {
			it := items[t%len(items)]
			_, err := w.exec(ctx, k, "POST", "/access/v1/evaluation", it.body, func(st int, b []byte) error {
				if err := checkOK(st, b); err != nil {
					return err
				}
				d, err := decisionOf(b)
				if err != nil {
					return err
				}
				count(d, it, &allowed, &mismatches)
				decisions.Add(1)
				return nil
			})
			return err
		})
	case "authz-batch":
		k = kEvaluations
		n := c.BatchSize
		p.run(ctx, c.Concurrency, c.Seed, func(ctx context.Context, w *worker, t int) error {
			batch := make([]authzItem, n)
			for i := range batch {
				batch[i] = items[(t*n+i)%len(items)]
			}
			_, err := w.exec(ctx, k, "POST", "/access/v1/evaluations", batchBody(batch), func(st int, b []byte) error {
				if err := checkOK(st, b); err != nil {
					return err
				}
				var resp struct {
					Evaluations []json.RawMessage `json:"evaluations"`
				}
				if err := json.Unmarshal(b, &resp); err != nil {
					return fmt.Errorf("not an evaluations response: %.200s", b)
				}
				if len(resp.Evaluations) != n {
					return fmt.Errorf("%d decisions for %d evaluations", len(resp.Evaluations), n)
				}
				for i, raw := range resp.Evaluations {
					d, err := decisionOf(raw)
					if err != nil {
						return err
					}
					count(d, batch[i], &allowed, &mismatches)
				}
				decisions.Add(int64(n))
				return nil
			})
			return err
		})
	case "authz-search":
		k = kSearch
		p.run(ctx, c.Concurrency, c.Seed, func(ctx context.Context, w *worker, t int) error {
			it := items[t%len(items)]
			if !p.take(1) {
				return errStop
			}
			// One search is one measured operation, every page of it included.
			found, token := 0, ""
			start := time.Now()
			for page := 0; ; page++ {
				resp, err := w.ph.cl.do(ctx, "POST", "/access/v1/search/resource", searchBody(it.body, token, c.PageLimit))
				if err == nil {
					err = checkOK(resp.status, resp.body)
				}
				var sr struct {
					Results   []json.RawMessage `json:"results"`
					Resources []json.RawMessage `json:"resources"` // drafts' name
					Page      *struct {
						NextToken string `json:"next_token"`
					} `json:"page"`
				}
				if err == nil {
					if err = json.Unmarshal(resp.body, &sr); err != nil {
						err = fmt.Errorf("not a search response: %.200s", resp.body)
					}
				}
				if err == nil && page >= 1000 {
					err = fmt.Errorf("more than 1000 pages")
				}
				if err != nil {
					if ctx.Err() != nil {
						return errStop
					}
					w.record(k, time.Now().Sub(start))
					w.fail(k, "POST /access/v1/search/resource: "+err.Error())
					return nil
				}
				found += len(sr.Results) + len(sr.Resources)
				if sr.Page == nil || sr.Page.NextToken == "" {
					break
				}
				token = sr.Page.NextToken
			}
			w.record(k, time.Now().Sub(start))
			if it.hasExpect && found != it.expectCount {
				mismatches.Add(1)
			}
			allowed.Add(int64(found))
			return nil
		})
	}
	res := r.result(p, k)
	res.Requests = len(items)
	res.Target = c.BaseURL + c.PathPrefix
	a, m := allowed.Load(), mismatches.Load()
	res.Allowed, res.Mismatches = &a, &m
	if p.elapsed > 0 {
		res.DecisionsPerS = float64(decisions.Load()) / p.elapsed.Seconds()
	}
	return res, nil
}

// count records one decision against its expectation.
func count(d bool, it authzItem, allowed, mismatches *atomic.Int64) {
	if d {
		allowed.Add(1)
	}
	if it.hasExpect && d != it.expectAllow {
		mismatches.Add(1)
	}
}
