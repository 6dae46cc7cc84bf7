package authzenapi

// The adapter between the AuthZEN wire layer (package authzen) and one organization's
// decision index (package decision).
//
// Mapping, as docs/authzen.md states it:
//   - subject {"type":"user","id":<userName>} (case-insensitive); the SCIM id instead with
//     {"type":"user","id":<SCIM id>,"properties":{"scim_id":true}}; service accounts
//     {"type":"service_account","id":<name>}.
//   - resource {"type":"organization"|"cloud"|"project","id":<name>}.
//   - context {"explain":true} adds the sources; every decision's context has "revision".
//   - a deny's context has "reason" (a stable code) and "reason_admin" {"en": message}.

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/authzen"
	"github.com/rolecall/rolecall/internal/decision"
)

// pdp serves AuthZEN over one organization's decision index. behind is true when the
// request asked for a min_revision the index did not reach in time: every decision then
// says so, beside the revision it was computed at.
type pdp struct {
	ix     *decision.Index
	behind bool
}

// subject maps a wire subject; ok is false for a type rolecall does not know.
func subject(s *authzen.Subject) (decision.Subject, bool) {
	t, ok := decision.ParseSubjectType(s.Type)
	if !ok {
		return decision.Subject{}, false
	}
	var p struct {
		SCIMID bool `json:"scim_id"`
	}
	if len(s.Properties) > 0 {
		json.Unmarshal(s.Properties, &p) // a scim_id that is not a boolean counts as false
	}
	return decision.Subject{Type: t, ID: s.ID, ByID: p.SCIMID && t == decision.SubjectUser}, true
}

func kind(t string) (access.Kind, bool) {
	k, err := access.ParseKind(t)
	return k, err == nil
}

// DecisionContext is the context of every decision (exported for clients and tests).
type DecisionContext struct {
	Revision             uint64            `json:"revision"`
	Reason               decision.Reason   `json:"reason,omitempty"`
	ReasonAdmin          map[string]string `json:"reason_admin,omitempty"`
	Role                 *access.Role      `json:"role,omitempty"`
	Sources              []access.Source   `json:"sources,omitempty"`
	ImplicitCollaborator bool              `json:"implicit_collaborator,omitempty"`
	// MinRevisionReached is false (and present) only when the request's min_revision was
	// not reached within the wait: the decision is at Revision, the latest there was.
	MinRevisionReached *bool `json:"min_revision_reached,omitempty"`

	// reasonEN is reason_admin's "en" when ReasonAdmin is nil: the hot path of a deny
	// writes it without a map.
	reasonEN string
}

var notReached = new(bool)

// appendJSON appends c as encoding/json would encode it. The common contexts (a revision, a
// deny's reason) are written by hand: in a batch of 100 evaluations, json.Marshal of each
// context cost a fifth of the request's CPU. Explanations go through json.Marshal.
func (c *DecisionContext) appendJSON(b []byte) []byte {
	en, hasEn := c.ReasonAdmin["en"]
	if c.ReasonAdmin == nil && c.reasonEN != "" {
		en, hasEn = c.reasonEN, true
	}
	if c.Role != nil || c.Sources != nil || len(c.ReasonAdmin) > 1 || len(c.ReasonAdmin) == 1 && !hasEn {
		// Marshal a copy, so that c itself stays on the caller's stack.
		m, err := json.Marshal(*c)
		if err != nil { // not reached: every field marshals
			panic(err)
		}
		return append(b, m...)
	}
	b = append(b, `{"revision":`...)
	b = strconv.AppendUint(b, c.Revision, 10)
	if c.Reason != "" {
		b = append(b, `,"reason":`...)
		b = authzen.AppendString(b, string(c.Reason))
	}
	if hasEn {
		b = append(b, `,"reason_admin":{"en":`...)
		b = authzen.AppendString(b, en)
		b = append(b, '}')
	}
	if c.ImplicitCollaborator {
		b = append(b, `,"implicit_collaborator":true`...)
	}
	if c.MinRevisionReached != nil {
		b = append(b, `,"min_revision_reached":`...)
		b = strconv.AppendBool(b, *c.MinRevisionReached)
	}
	return append(b, '}')
}

// NewPDP returns the AuthZEN PDP of one organization's decision index (tests, the Go
// gateway example, benchmarks).
func NewPDP(ix *decision.Index) authzen.PDP { return pdp{ix: ix} }

func (p pdp) Evaluate(_ context.Context, reqs []authzen.EvaluationRequest, yield func(int, authzen.Decision) bool) error {
	// The contexts are written one after another into one buffer (each decision's Context
	// is its own full slice of it), so a batch allocates a few buffers, not one per item.
	arena := make([]byte, 0, 96*len(reqs))
	var msg []byte
	p.ix.Read(func(v decision.View) {
		for i, r := range reqs {
			c := DecisionContext{Revision: v.Revision()}
			if p.behind {
				c.MinRevisionReached = notReached
			}
			sub, okS := subject(r.Subject)
			k, okK := kind(r.Resource.Type)
			var d decision.Decision
			switch {
			case !okS:
				c.Reason, c.ReasonAdmin = decision.ReasonUnknownSubjectType, map[string]string{"en": "unknown subject type " + r.Subject.Type}
			case !okK:
				c.Reason, c.ReasonAdmin = decision.ReasonUnknownResourceType, map[string]string{"en": "unknown resource type " + r.Resource.Type}
			default:
				rc, _ := authzen.ParseContext(r.Context) // validated by the decoder
				d = v.Evaluate(decision.Query{Subject: sub, Action: r.Action.Name,
					Resource: decision.Resource{Kind: k, Name: r.Resource.ID}, Explain: rc.Explain})
				if !d.Allowed {
					msg = d.AppendMessage(msg[:0])
					c.Reason, c.reasonEN = d.Reason, string(msg)
				}
				if rc.Explain {
					if c.reasonEN != "" {
						c.ReasonAdmin = map[string]string{"en": c.reasonEN}
					}
					role := d.Role // a copy: &d.Role would move every decision to the heap
					c.Role, c.Sources, c.ImplicitCollaborator = &role, d.Sources, d.ImplicitCollaborator
				}
			}
			start := len(arena)
			arena = c.appendJSON(arena)
			if !yield(i, authzen.Decision{Decision: d.Allowed, Context: arena[start:len(arena):len(arena)]}) {
				return
			}
		}
	})
	return nil
}

func (p pdp) SearchSubjects(_ context.Context, r *authzen.SearchRequest, after string, limit int) (authzen.SearchPage[authzen.Subject], error) {
	t, ok := decision.ParseSubjectType(r.Subject.Type)
	k, okK := kind(r.Resource.Type)
	if !ok || !okK {
		return authzen.SearchPage[authzen.Subject]{}, nil
	}
	res := p.ix.SearchSubjects(t, r.Action.Name, decision.Resource{Kind: k, Name: r.Resource.ID}, decision.Page{After: after, Limit: limit})
	out := authzen.SearchPage[authzen.Subject]{Next: res.Next}
	for _, s := range res.Items {
		out.Results = append(out.Results, authzen.Subject{Type: s.Type.String(), ID: s.Name})
	}
	return out, nil
}

func (p pdp) SearchResources(_ context.Context, r *authzen.SearchRequest, after string, limit int) (authzen.SearchPage[authzen.Resource], error) {
	sub, ok := subject(r.Subject)
	k, okK := kind(r.Resource.Type)
	if !ok || !okK {
		return authzen.SearchPage[authzen.Resource]{}, nil
	}
	res := p.ix.SearchResources(sub, r.Action.Name, k, decision.Page{After: after, Limit: limit})
	out := authzen.SearchPage[authzen.Resource]{Next: res.Next}
	for _, it := range res.Items {
		out.Results = append(out.Results, authzen.Resource{Type: it.Kind.String(), ID: it.Name})
	}
	return out, nil
}

func (p pdp) SearchActions(_ context.Context, r *authzen.SearchRequest, after string, limit int) (authzen.SearchPage[authzen.Action], error) {
	sub, ok := subject(r.Subject)
	k, okK := kind(r.Resource.Type)
	if !ok || !okK {
		return authzen.SearchPage[authzen.Action]{}, nil
	}
	res := p.ix.SearchActions(sub, decision.Resource{Kind: k, Name: r.Resource.ID}, decision.Page{After: after, Limit: limit})
	out := authzen.SearchPage[authzen.Action]{Next: res.Next}
	for _, a := range res.Items {
		out.Results = append(out.Results, authzen.Action{Name: a})
	}
	return out, nil
}
