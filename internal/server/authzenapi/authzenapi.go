// Package authzenapi is rolecall's decision API: the OpenID AuthZEN Authorization API 1.0
// endpoints (/access/v1/evaluation, /evaluations, /search/subject, /search/resource,
// /search/action) and the PDP metadata at /.well-known/authzen-configuration. A platform's
// gateway asks it "may this user do that on this resource?" with a decision-scope (or
// admin-scope) token; the token's organization is the tenant, and nothing of another
// organization is ever read. Answers come from the org's in-memory decision index
// (service/decisions), caught up to the org's revision before each request.
//
// Wire rules (the spec's): a deny is 200 {"decision":false}; a malformed request is 400 with
// a message naming the field; unknown members are ignored; X-Request-ID is echoed (by the
// server's middleware).
//
// It may import authzen, decision, access, service/decisions, auth, server/respond and the
// standard library; never server, scimapi, adminapi or console.
package authzenapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/authzen"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/service/decisions"
)

// Deps is what the decision API takes from the server.
type Deps struct {
	Cache *decisions.Cache
	Log   *slog.Logger
	// Authenticate wraps a handler: a decision-scope or admin-scope token is required.
	Authenticate func(http.HandlerFunc) http.HandlerFunc
	// BaseURL is the server's public URL, the PDP identifier of the metadata ("": derived
	// from each request).
	BaseURL string
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64
}

// API serves the decision API.
type API struct{ cfg Deps }

// Register adds the decision API's routes to mux.
func Register(mux *http.ServeMux, d Deps) {
	a := &API{cfg: d}
	mux.HandleFunc("GET "+authzen.PathWellKnown, a.metadata)
	mux.HandleFunc("POST "+authzen.PathEvaluation, d.Authenticate(a.evaluation))
	mux.HandleFunc("POST "+authzen.PathEvaluations, d.Authenticate(a.evaluations))
	mux.HandleFunc("POST "+authzen.PathSearchSubject, d.Authenticate(a.searchSubject))
	mux.HandleFunc("POST "+authzen.PathSearchResource, d.Authenticate(a.searchResource))
	mux.HandleFunc("POST "+authzen.PathSearchAction, d.Authenticate(a.searchAction))
}

// Error is the body of a 4xx/5xx answer. The spec leaves error bodies open; this one names
// the problem so that a person can fix the request.
type Error struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var re *authzen.RequestError
	switch {
	case errors.As(err, &re):
		respond.JSON(w, http.StatusBadRequest, "application/json", Error{Status: 400, Message: re.Error()})
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		respond.JSON(w, http.StatusServiceUnavailable, "application/json", Error{Status: 503, Message: "the decision could not be computed in time; retry shortly"})
	default:
		a.cfg.Log.Error("decision failed", "request_id", respond.RequestID(r.Context()), "error", err.Error())
		respond.JSON(w, http.StatusServiceUnavailable, "application/json", Error{Status: 503, Message: "the decision index is unavailable (database unreachable?); retry shortly"})
	}
}

// body reads the request body within the size limit.
func (a *API) body(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &authzen.RequestError{Msg: "the request body is larger than the server's limit of " + strconv.FormatInt(tooBig.Limit, 10) + " bytes; split the batch"}
	}
	if err != nil {
		return nil, &authzen.RequestError{Msg: "reading the request body: " + err.Error()}
	}
	return b, nil
}

// pdp returns the PDP of the caller's org at min (its min_revision).
func (a *API) pdp(r *http.Request, minRev uint64) (pdp, error) {
	org := auth.PrincipalFrom(r.Context()).OrgID
	ix, reached, err := a.cfg.Cache.Index(r.Context(), org, int64(minRev))
	if err != nil {
		return pdp{}, err
	}
	return pdp{ix: ix, behind: !reached}, nil
}

func (a *API) evaluation(w http.ResponseWriter, r *http.Request) {
	b, err := a.body(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	req, err := authzen.DecodeEvaluation(b)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rc, _ := authzen.ParseContext(req.Context) // validated by the decoder
	p, err := a.pdp(r, rc.MinRevision)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d, err := authzen.Evaluate(r.Context(), p, req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, "application/json", d)
}

func (a *API) evaluations(w http.ResponseWriter, r *http.Request) {
	b, err := a.body(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	req, err := authzen.DecodeEvaluations(b)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	// One index read answers the whole batch, so it waits for the highest min_revision any
	// of its contexts asks for.
	rc, _ := authzen.ParseContext(req.Context)
	minRev := rc.MinRevision
	for _, it := range req.Evaluations {
		if c, err := authzen.ParseContext(it.Context); err == nil && c.MinRevision > minRev {
			minRev = c.MinRevision
		}
	}
	p, err := a.pdp(r, minRev)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	resp, err := authzen.Evaluations(r.Context(), p, req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, "application/json", resp)
}

// search runs one kind of search for the caller's org; the org's id is the page tokens'
// scope, so a token of one org is refused by every other.
func search[T any](a *API, w http.ResponseWriter, r *http.Request, kind authzen.SearchKind,
	run func(context.Context, authzen.PDP, string, *authzen.SearchRequest) (*authzen.SearchResponse[T], error)) {
	b, err := a.body(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	req, err := authzen.DecodeSearch(kind, b)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rc, _ := authzen.ParseContext(req.Context)
	p, err := a.pdp(r, rc.MinRevision)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	resp, err := run(r.Context(), p, auth.PrincipalFrom(r.Context()).OrgID, req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, "application/json", resp)
}

func (a *API) searchSubject(w http.ResponseWriter, r *http.Request) {
	search(a, w, r, authzen.SearchSubject, authzen.SearchSubjects)
}

func (a *API) searchResource(w http.ResponseWriter, r *http.Request) {
	search(a, w, r, authzen.SearchResource, authzen.SearchResources)
}

func (a *API) searchAction(w http.ResponseWriter, r *http.Request) {
	search(a, w, r, authzen.SearchAction, authzen.SearchActions)
}

// metadata serves the PDP metadata; it needs no token (the spec's discovery).
func (a *API) metadata(w http.ResponseWriter, r *http.Request) {
	base := a.cfg.BaseURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	m, err := authzen.NewMetadata(base)
	if err != nil {
		respond.JSON(w, http.StatusInternalServerError, "application/json", Error{Status: 500, Message: "the server's public URL (serve --base-url) is not a valid PDP identifier: " + err.Error()})
		return
	}
	w.Header().Set("Cache-Control", "max-age=300")
	b, _ := json.Marshal(m)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
