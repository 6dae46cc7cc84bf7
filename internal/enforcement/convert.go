package enforcement

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/store"
)

// PlanToAPI returns the wire form of p; it encodes to exactly the JSON of p itself.
func PlanToAPI(p *enforce.Plan) api.EnforcePlan {
	out := api.EnforcePlan{
		SchemaVersion:  p.SchemaVersion,
		Fingerprint:    p.Fingerprint,
		Users:          make([]api.EnforceUserChanges, len(p.Users)),
		RemovedUsers:   make([]api.EnforceRemovedUser, len(p.RemovedUsers)),
		DeleteBindings: p.DeleteBindings,
		OwnerAfter:     p.OwnerAfter,
		Summary:        api.EnforceSummary(p.Summary),
	}
	for i, u := range p.Users {
		c := api.EnforceChanges{Clouds: changesToAPI(u.Changes.Clouds), Projects: changesToAPI(u.Changes.Projects)}
		if o := u.Changes.Organization; o != nil {
			v := changeToAPI(*o)
			c.Organization = &v
		}
		out.Users[i] = api.EnforceUserChanges{UserName: u.UserName, UserID: u.UserID, Changes: c}
	}
	for i, u := range p.RemovedUsers {
		out.RemovedUsers[i] = api.EnforceRemovedUser(u)
	}
	return out
}

func changesToAPI(cs []enforce.Change) []api.EnforceChange {
	out := make([]api.EnforceChange, len(cs))
	for i, c := range cs {
		out[i] = changeToAPI(c)
	}
	return out
}

func changeToAPI(c enforce.Change) api.EnforceChange {
	return api.EnforceChange{Resource: c.Resource, ResourceID: c.ResourceID, Before: c.Before.String(), After: c.After.String()}
}

// PlanFromAPI is the inverse of PlanToAPI (without the deleted-binding records, which the
// wire form does not carry): the CLI renders a server's plan with the planner's renderer.
func PlanFromAPI(p api.EnforcePlan) (*enforce.Plan, error) {
	out := &enforce.Plan{
		SchemaVersion:  p.SchemaVersion,
		Fingerprint:    p.Fingerprint,
		Users:          make([]enforce.UserChanges, len(p.Users)),
		RemovedUsers:   make([]enforce.RemovedUser, len(p.RemovedUsers)),
		DeleteBindings: p.DeleteBindings,
		OwnerAfter:     p.OwnerAfter,
		Summary:        enforce.Summary(p.Summary),
	}
	for i, u := range p.Users {
		clouds, err := changesFromAPI(u.Changes.Clouds)
		if err != nil {
			return nil, err
		}
		projects, err := changesFromAPI(u.Changes.Projects)
		if err != nil {
			return nil, err
		}
		c := enforce.Changes{Clouds: clouds, Projects: projects}
		if o := u.Changes.Organization; o != nil {
			v, err := changeFromAPI(*o)
			if err != nil {
				return nil, err
			}
			c.Organization = &v
		}
		out.Users[i] = enforce.UserChanges{UserName: u.UserName, UserID: u.UserID, Changes: c}
	}
	for i, u := range p.RemovedUsers {
		out.RemovedUsers[i] = enforce.RemovedUser(u)
	}
	return out, nil
}

func changesFromAPI(cs []api.EnforceChange) ([]enforce.Change, error) {
	out := make([]enforce.Change, len(cs))
	for i, c := range cs {
		v, err := changeFromAPI(c)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func changeFromAPI(c api.EnforceChange) (enforce.Change, error) {
	var before, after access.Role
	if err := before.UnmarshalText([]byte(c.Before)); err != nil {
		return enforce.Change{}, fmt.Errorf("plan change on %s: %w", c.Resource, err)
	}
	if err := after.UnmarshalText([]byte(c.After)); err != nil {
		return enforce.Change{}, fmt.Errorf("plan change on %s: %w", c.Resource, err)
	}
	return enforce.Change{Resource: c.Resource, ResourceID: c.ResourceID, Before: before, After: after}, nil
}

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

func encodePlan(p api.EnforcePlan) (json.RawMessage, error) {
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
func decodePlan(raw json.RawMessage) (*api.EnforcePlan, error) {
	if len(raw) == 0 {
		return nil, errors.New("no plan recorded")
	}
	var sp storedPlan
	if err := json.Unmarshal(raw, &sp); err != nil {
		return nil, err
	}
	var p api.EnforcePlan
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
