package scimapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/scim/filter"
	"github.com/rolecall/rolecall/internal/store"
)

// scimList answers GET /Users and GET /Groups (RFC 7644 §3.4.2).
func (s *API) scimList(w http.ResponseWriter, r *http.Request, kind scimKind) {
	q, err := parseListQuery(r.URL.Query())
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	s.scimAnswerQuery(w, r, kind, q)
}

// scimSearch answers POST /Users/.search, /Groups/.search and /.search (RFC 7644 §3.4.3).
func (s *API) scimSearch(w http.ResponseWriter, r *http.Request, kind scimKind) {
	body, err := readSCIMBody(r)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	q, err := parseSearchBody(body)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	s.scimAnswerQuery(w, r, kind, q)
}

// queryPart is the query of one resource type; a root search has two.
type queryPart struct {
	kind scimKind
	plan *filterPlan
	sort *sortSpec
	proj *scim.Projection
}

// planQuery validates q for each resource type of kind. For a root search a filter or
// sortBy that one type cannot evaluate (userName on Groups) leaves that type out (or
// unsorted) instead of failing; it fails only when no type can.
func (s *API) planQuery(kind scimKind, q scimQuery) ([]queryPart, error) {
	kinds := []scimKind{kind}
	if kind == scimAll {
		if q.cursor {
			return nil, scim.ErrInvalidValue("cursor paging is supported on /Users and /Groups, not on the root /.search; use startIndex")
		}
		kinds = []scimKind{scimUsers, scimGroups}
	}
	byteOrder := s.svc.Capabilities().ByteOrderText
	var parts []queryPart
	var firstErr error
	for _, k := range kinds {
		plan, err := planFilter(k.rt(), q.filter, byteOrder)
		if err != nil {
			var se *filter.SyntaxError
			if kind != scimAll || errors.As(err, &se) {
				return nil, err
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		sp, err := planSort(k.rt(), q.sortBy, q.descending)
		if err != nil {
			if kind != scimAll {
				return nil, err
			}
			sp = nil
		}
		proj, err := scim.ParseProjection(k.rt(), q.attributes, q.excluded)
		if err != nil {
			return nil, err
		}
		parts = append(parts, queryPart{kind: k, plan: plan, sort: sp, proj: proj})
	}
	if len(parts) == 0 {
		return nil, firstErr
	}
	return parts, nil
}

// scimAnswerQuery runs a parsed query in one read transaction and answers the ListResponse.
func (s *API) scimAnswerQuery(w http.ResponseWriter, r *http.Request, kind scimKind, q scimQuery) {
	parts, err := s.planQuery(kind, q)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	ctx := r.Context()
	org := auth.PrincipalFrom(ctx).OrgID
	base := s.baseURL(r)
	var resp scim.ListResponse
	err = s.svc.Read(ctx, func(tx store.Tx) error {
		resp = scim.ListResponse{}
		offset, limit := q.startIndex-1, q.count
		for _, part := range parts {
			e := &listExec{s: s, ctx: ctx, tx: tx, org: org, base: base, kind: part.kind, plan: part.plan, sort: part.sort}
			after, err := cursorKey(ctx, tx, org, part.kind, q.after)
			if err != nil {
				return err
			}
			res, err := e.run(page{offset: offset, limit: limit, cursor: q.cursor, after: after})
			if err != nil {
				return err
			}
			rel := "groups"
			if part.kind == scimGroups {
				rel = "members"
			}
			if part.proj.Needs(rel) {
				if err := e.loadRelated(res.rows); err != nil {
					return err
				}
			}
			for _, row := range res.rows {
				out, err := e.output(row, part.proj)
				if err != nil {
					return err
				}
				resp.Resources = append(resp.Resources, out)
			}
			resp.TotalResults += res.total
			if res.next != "" {
				resp.NextCursor = encodeCursor(res.next)
			}
			offset = max(0, offset-res.total)
			limit -= len(res.rows)
		}
		return nil
	})
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	resp.ItemsPerPage = len(resp.Resources)
	if !q.cursor {
		resp.StartIndex = q.startIndex
	}
	writeSCIM(w, http.StatusOK, resp)
}

// cursorKey resolves the id a cursor names to the Seq paging continues after (0 for none):
// 400 invalidCursor unless it is a user (group) of the caller's org.
func cursorKey(ctx context.Context, tx store.Tx, org string, kind scimKind, id string) (int64, error) {
	if id == "" {
		return 0, nil
	}
	seq, err := tx.PageKey(ctx, org, kind == scimGroups, id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, invalidCursor(encodeCursor(id))
	}
	return seq, err
}
