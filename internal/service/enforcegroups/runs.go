package enforcegroups

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/store"
)

// RunToAPI returns the wire form of a run; full adds the plan and the undo result.
func RunToAPI(r store.Run, full bool) api.EnforceRun {
	out := api.EnforceRun{
		ID: r.ID, CreatedAt: r.CreatedAt, Actor: r.Actor, Fingerprint: r.Fingerprint,
		DeletedBindings: r.DeletedBindings, RemovedUsers: r.RemovedUsers, UndoneAt: r.UndoneAt, UndoneBy: r.UndoneBy,
	}
	if !full {
		return out
	}
	if p, err := decodePlan(r.Plan); err == nil {
		out.Plan = p
	}
	if len(r.UndoResult) > 0 {
		var u api.EnforceUndoResult
		if json.Unmarshal(r.UndoResult, &u) == nil {
			out.Undo = &u
		}
	}
	return out
}

// storedPlan is how a run keeps its plan: gzip-compressed JSON, base64-encoded in a JSON
// string. A 100,000-user plan is about 47 MB of JSON and 10 MB stored so: writing it raw
// made recording the run take two minutes of apply on SQLite.
type storedPlan struct {
	Gzip string `json:"gzip"`
}

func encodePlan(p *enforce.Plan) (json.RawMessage, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(zw).Encode(p); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return json.Marshal(storedPlan{Gzip: base64.StdEncoding.EncodeToString(buf.Bytes())})
}

// decodePlan reads a stored plan: the compressed form, or a plain plan document.
func decodePlan(raw json.RawMessage) (*enforce.Plan, error) {
	if len(raw) == 0 {
		return nil, errors.New("no plan recorded")
	}
	var sp storedPlan
	if err := json.Unmarshal(raw, &sp); err != nil {
		return nil, err
	}
	var p enforce.Plan
	if sp.Gzip == "" {
		return &p, json.Unmarshal(raw, &p)
	}
	z, err := base64.StdEncoding.DecodeString(sp.Gzip)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return &p, json.NewDecoder(zr).Decode(&p)
}
