package authzen

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// fakePDP implements the certification scenario's core policy (decision rules 1-4: alice
// may read and write record-1, bob may only read it; everyone may read record-2) over a
// fixed set of users, records and actions, and records what it was asked.
type fakePDP struct {
	calls   int
	asked   []string
	fail    error
	users   []string
	records []string
}

func newFake() *fakePDP {
	return &fakePDP{users: []string{"alice", "bob", "carol", "dave", "erin"}, records: []string{"record-1", "record-2", "record-3"}}
}

func allowed(sub, action, res string) bool {
	switch {
	case res == "record-1" && action == "read":
		return sub == "alice" || sub == "bob"
	case res == "record-1" && action == "write":
		return sub == "alice"
	case res == "record-2" && action == "read":
		return true
	}
	return false
}

func (f *fakePDP) Evaluate(_ context.Context, reqs []EvaluationRequest, yield func(int, Decision) bool) error {
	f.calls++
	if f.fail != nil {
		return f.fail
	}
	for i, r := range reqs {
		f.asked = append(f.asked, r.Subject.ID+"/"+r.Action.Name+"/"+r.Resource.ID)
		d := Decision{Decision: r.Subject.Type == "user" && r.Resource.Type == "record" && allowed(r.Subject.ID, r.Action.Name, r.Resource.ID)}
		if len(r.Context) > 0 {
			d.Context = json.RawMessage(`{"saw_context":true}`)
		}
		if !yield(i, d) {
			return nil
		}
	}
	return nil
}

// pageOf pages a sorted list by key.
func pageOf[T any](items []string, after string, limit int, mk func(string) T) SearchPage[T] {
	i, _ := slices.BinarySearch(items, after)
	if after != "" && i < len(items) && items[i] == after {
		i++
	}
	items = items[i:]
	out := SearchPage[T]{}
	if len(items) > limit {
		out.Next = items[limit-1]
		items = items[:limit]
	}
	for _, it := range items {
		out.Results = append(out.Results, mk(it))
	}
	return out
}

func (f *fakePDP) SearchSubjects(_ context.Context, req *SearchRequest, after string, limit int) (SearchPage[Subject], error) {
	if f.fail != nil {
		return SearchPage[Subject]{}, f.fail
	}
	if req.Subject.ID != "" {
		return SearchPage[Subject]{}, errors.New("the searched-for id reached the PDP")
	}
	var hits []string
	if req.Subject.Type == "user" {
		for _, u := range f.users {
			if allowed(u, req.Action.Name, req.Resource.ID) {
				hits = append(hits, u)
			}
		}
	}
	return pageOf(hits, after, limit, func(s string) Subject { return Subject{Type: "user", ID: s} }), nil
}

func (f *fakePDP) SearchResources(_ context.Context, req *SearchRequest, after string, limit int) (SearchPage[Resource], error) {
	var hits []string
	if req.Resource.Type == "record" {
		for _, r := range f.records {
			if allowed(req.Subject.ID, req.Action.Name, r) {
				hits = append(hits, r)
			}
		}
	}
	return pageOf(hits, after, limit, func(s string) Resource { return Resource{Type: "record", ID: s} }), nil
}

func (f *fakePDP) SearchActions(_ context.Context, req *SearchRequest, after string, limit int) (SearchPage[Action], error) {
	var hits []string
	for _, a := range []string{"delete", "read", "write"} {
		if allowed(req.Subject.ID, a, req.Resource.ID) {
			hits = append(hits, a)
		}
	}
	return pageOf(hits, after, limit, func(s string) Action { return Action{Name: s} }), nil
}

func decisions(r *EvaluationsResponse) string {
	var b strings.Builder
	for _, d := range r.Evaluations {
		if d.Decision {
			b.WriteByte('T')
		} else {
			b.WriteByte('F')
		}
	}
	return b.String()
}
