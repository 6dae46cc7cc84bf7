// Package authzen owns the side-by-side decision benchmark's non-rolecall half (issue 15,
// "Speed"): the OpenFGA authorization model equivalent to rolecall's access rules (model.fga,
// and model.json, the same model in the form OpenFGA's write-authorization-model API takes),
// and the HTTP floor: a minimal net/http server that decodes AuthZEN requests and answers a
// constant decision, the ceiling no decision point can beat on the same machine.
//
// Its commands: cmd/floor serves the floor; cmd/fgaload creates an OpenFGA store, writes the
// model and a population's tuples (written by rolecall's cmd/authzpop). It is a module of its
// own, outside rolecall's, and imports only the standard library.
package authzen

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"strings"
)

// ModelJSON is the OpenFGA authorization model, as the write-authorization-model API takes it.
//
//go:embed model.json
var ModelJSON []byte

// ModelDSL is the same model in OpenFGA's DSL, for people (and for the test that keeps the
// two in step).
//
//go:embed model.fga
var ModelDSL string

// Entity is an AuthZEN subject or resource.
type Entity struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Properties json.RawMessage `json:"properties,omitempty"`
}

// Action is an AuthZEN action.
type Action struct {
	Name       string          `json:"name"`
	Properties json.RawMessage `json:"properties,omitempty"`
}

// Evaluation is an AuthZEN access evaluation request (and a batch item, where any of the
// three may be left to the batch's defaults).
type Evaluation struct {
	Subject  *Entity         `json:"subject"`
	Action   *Action         `json:"action"`
	Resource *Entity         `json:"resource"`
	Context  json.RawMessage `json:"context,omitempty"`
}

// Evaluations is an AuthZEN batch: defaults, items and options.
type Evaluations struct {
	Evaluation
	Evaluations []Evaluation    `json:"evaluations"`
	Options     json.RawMessage `json:"options,omitempty"`
}

// Search is an AuthZEN search request (subject, resource or action search).
type Search struct {
	Evaluation
	Page *struct {
		Token string `json:"token"`
		Limit int    `json:"limit"`
	} `json:"page,omitempty"`
}

// Floor returns the floor server's handler. Under prefix (e.g. "" or "/stores/X") it serves
// POST /access/v1/evaluation, /access/v1/evaluations and /access/v1/search/{subject,resource,action}:
// it decodes the request fully, checks that the subject, action and resource are there
// (400 otherwise, as a decision point would), and answers a constant: every decision true,
// every search empty. X-Request-ID is echoed, as AuthZEN asks.
func Floor(prefix string) http.Handler {
	prefix = strings.TrimRight(prefix, "/")
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+prefix+"/access/v1/evaluation", func(w http.ResponseWriter, r *http.Request) {
		var req Evaluation
		if !decode(w, r, &req) {
			return
		}
		if req.Subject == nil || req.Action == nil || req.Resource == nil {
			http.Error(w, `{"error":"subject, action and resource are required"}`, http.StatusBadRequest)
			return
		}
		reply(w, r, `{"decision":true}`)
	})
	mux.HandleFunc("POST "+prefix+"/access/v1/evaluations", func(w http.ResponseWriter, r *http.Request) {
		var req Evaluations
		if !decode(w, r, &req) {
			return
		}
		var b strings.Builder
		b.WriteString(`{"evaluations":[`)
		for i, e := range req.Evaluations {
			if (e.Subject == nil && req.Subject == nil) || (e.Action == nil && req.Action == nil) || (e.Resource == nil && req.Resource == nil) {
				http.Error(w, `{"error":"every evaluation needs a subject, an action and a resource"}`, http.StatusBadRequest)
				return
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"decision":true}`)
		}
		if len(req.Evaluations) == 0 {
			if req.Subject == nil || req.Action == nil || req.Resource == nil {
				http.Error(w, `{"error":"subject, action and resource are required"}`, http.StatusBadRequest)
				return
			}
			b.WriteString(`{"decision":true}`)
		}
		b.WriteString(`]}`)
		reply(w, r, b.String())
	})
	for _, what := range []string{"subject", "resource", "action"} {
		mux.HandleFunc("POST "+prefix+"/access/v1/search/"+what, func(w http.ResponseWriter, r *http.Request) {
			var req Search
			if !decode(w, r, &req) {
				return
			}
			reply(w, r, `{"results":[],"page":{"next_token":""}}`)
		})
	}
	return mux
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		http.Error(w, `{"error":"malformed request"}`, http.StatusBadRequest)
		return false
	}
	return true
}

func reply(w http.ResponseWriter, r *http.Request, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if id := r.Header.Get("X-Request-ID"); id != "" {
		h.Set("X-Request-ID", id)
	}
	_, _ = w.Write([]byte(body))
}
