package authzen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// PDP is the decision point the wire layer calls. Requests reach it validated: every
// evaluation has a subject (type and id), an action (name) and a resource (type and id);
// contexts are JSON objects or nil. A deny, including an unknown subject, resource, action
// or entity type, is a Decision with Decision false, never an error: an error means the
// PDP could not answer at all (it is unavailable, ctx ended) and fails the whole request.
type PDP interface {
	// Evaluate decides reqs in order, at one consistent state, calling yield with each
	// decision; it stops when yield returns false. i is the position in reqs.
	Evaluate(ctx context.Context, reqs []EvaluationRequest, yield func(i int, d Decision) bool) error
	// SearchSubjects, SearchResources and SearchActions return one page of a search:
	// the results after the paging key after ("" for the first page), at most limit of
	// them (limit > 0), and the key to resume from, "" when this is the last page. Keys
	// are the PDP's own; the caller wraps them in opaque page tokens. An unknown entity or
	// entity type is an empty page, not an error.
	SearchSubjects(ctx context.Context, req *SearchRequest, after string, limit int) (SearchPage[Subject], error)
	SearchResources(ctx context.Context, req *SearchRequest, after string, limit int) (SearchPage[Resource], error)
	SearchActions(ctx context.Context, req *SearchRequest, after string, limit int) (SearchPage[Action], error)
}

// SearchPage is one page of results from a PDP.
type SearchPage[T any] struct {
	Results []T
	// Next is the PDP's key to resume after; "" on the last page.
	Next string
	// Context, when set, is a JSON object returned as the response's context.
	Context json.RawMessage
}

// Evaluate answers an Access Evaluation request.
func Evaluate(ctx context.Context, pdp PDP, req *EvaluationRequest) (Decision, error) {
	var out Decision
	got := false
	err := pdp.Evaluate(ctx, []EvaluationRequest{*req}, func(_ int, d Decision) bool {
		out, got = d, true
		return false
	})
	if err == nil && !got {
		err = errors.New("authzen: the PDP returned no decision")
	}
	return out, err
}

// Limits of the evaluations endpoint.
const (
	// MaxEvaluations is the most items one evaluations request may hold; more is a 400
	// (split the batch).
	MaxEvaluations = 1000
)

// Evaluations answers an Access Evaluations request. Without items it answers the request
// as a single evaluation. With items, each is completed from the top-level defaults; an
// item still missing a subject, action or resource (or with a malformed one) is a failed
// item: decision false with context.error {status: 400, message}, and under
// deny_on_first_deny it ends the batch like any deny. Items are answered in order and, for
// the short-circuit semantics, up to and including the first deny (deny_on_first_deny) or
// permit (permit_on_first_permit).
func Evaluations(ctx context.Context, pdp PDP, req *EvaluationsRequest) (*EvaluationsResponse, error) {
	if len(req.Evaluations) == 0 {
		d, err := Evaluate(ctx, pdp, &req.EvaluationRequest)
		if err != nil {
			return nil, err
		}
		return &EvaluationsResponse{Single: &d}, nil
	}
	if len(req.Evaluations) > MaxEvaluations {
		return nil, badField("evaluations", "holds %d items; at most %d are allowed in one request", len(req.Evaluations), MaxEvaluations)
	}
	semantic := ExecuteAll
	if req.Options != nil && req.Options.Semantic != "" {
		semantic = req.Options.Semantic
	}
	stops := func(d Decision) bool {
		return semantic == DenyOnFirstDeny && !d.Decision || semantic == PermitOnFirstPermit && d.Decision
	}
	n := len(req.Evaluations)
	valid := make([]EvaluationRequest, 0, n)
	at := make([]int, 0, n) // at[j]: the item position of valid[j]
	failed := map[int]Decision{}
	for i := range n {
		it := req.item(i)
		if err := it.check(""); err != nil {
			// The prefix is built only for a failed item: a batch of 100 good items
			// allocates no field names.
			if re, ok := err.(*RequestError); ok {
				re.Field = "evaluations[" + strconv.Itoa(i) + "]." + re.Field
			}
			failed[i] = itemError(err)
			if semantic == DenyOnFirstDeny {
				break // a failed item is a deny: nothing after it is answered, so ask nothing
			}
			continue
		}
		valid, at = append(valid, it), append(at, i)
	}
	out := &EvaluationsResponse{Evaluations: make([]Decision, 0, n)}
	next, stopped := 0, false
	// emitFailed answers the failed items before position end; false when one stops the batch.
	emitFailed := func(end int) bool {
		for ; next < end; next++ {
			d := failed[next]
			out.Evaluations = append(out.Evaluations, d)
			if stops(d) {
				stopped = true
				return false
			}
		}
		return true
	}
	if len(valid) > 0 && emitFailed(at[0]) {
		answered := 0
		err := pdp.Evaluate(ctx, valid, func(j int, d Decision) bool {
			if j != answered {
				return false // out of order: refuse (caught below)
			}
			answered++
			if !emitFailed(at[j]) {
				return false
			}
			next = at[j] + 1
			out.Evaluations = append(out.Evaluations, d)
			if stops(d) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		if !stopped && answered != len(valid) {
			return nil, fmt.Errorf("authzen: the PDP answered %d of %d evaluations", answered, len(valid))
		}
	}
	if !stopped {
		emitFailed(n)
	}
	return out, nil
}

// itemError is the decision of a failed item.
func itemError(err error) Decision {
	ctx, _ := json.Marshal(map[string]any{"error": map[string]any{"status": 400, "message": err.Error()}})
	return Decision{Decision: false, Context: ctx}
}
