package scimload

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// fakeSCIM is a tiny in-memory SCIM server, just enough for every workload, with faults that
// make it answer wrongly so the tests can check that the checks catch them.
type fakeSCIM struct {
	mu     sync.Mutex
	token  string
	fault  string
	nextID int

	users      map[string]*fakeUser
	userByName map[string]string
	userOrder  []string
	groups     map[string]*fakeGroup
	groupByNm  map[string]string
	requests   int
}

type fakeUser struct {
	ID       string `json:"id"`
	UserName string `json:"userName"`
	Active   bool   `json:"active"`
	Title    string `json:"title,omitempty"`
}

type fakeGroup struct {
	id, name string
	members  map[string]bool
}

// Faults a fakeSCIM can be told to commit.
const (
	faultWrongUserName = "wrong-username"   // POST /Users answers another userName
	faultCreate500     = "create-500"       // POST /Users fails
	faultLookupEmpty   = "lookup-empty"     // filter lookups find nothing
	faultPatchActive   = "patch-active"     // PATCH /Users leaves active true
	faultPatch400      = "patch-400"        // PATCH /Groups fails
	faultTotalPlusOne  = "total-plus-one"   // pages claim one more user than exist
	faultKeepMembers   = "keep-members"     // PATCH remove on groups does nothing
	faultNoListSchema  = "no-list-schema"   // ListResponse without its schema
	faultGroupName     = "wrong-group-name" // group lookups return another displayName
)

func newFake(token, fault string) *fakeSCIM {
	return &fakeSCIM{token: token, fault: fault, users: map[string]*fakeUser{}, userByName: map[string]string{},
		groups: map[string]*fakeGroup{}, groupByNm: map[string]string{}}
}

var (
	reEq     = regexp.MustCompile(`^(userName|displayName) eq "([^"]*)"$`)
	reMember = regexp.MustCompile(`^id eq "([^"]*)" and members\[value eq "([^"]*)"\]$`)
	rePath   = regexp.MustCompile(`^members\[value eq "([^"]*)"\]$`)
)

func (f *fakeSCIM) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeSCIM) scimError(w http.ResponseWriter, status int, detail string) {
	f.writeJSON(w, status, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"}, "status": strconv.Itoa(status), "detail": detail})
}

func (f *fakeSCIM) list(w http.ResponseWriter, total, start int, res []any) {
	if res == nil {
		res = []any{}
	}
	body := map[string]any{"schemas": []string{listSchema}, "totalResults": total, "startIndex": start, "itemsPerPage": len(res), "Resources": res}
	if f.fault == faultNoListSchema {
		delete(body, "schemas")
	}
	f.writeJSON(w, 200, body)
}

func (f *fakeSCIM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.scimError(w, 401, "bad token")
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	path := strings.TrimPrefix(r.URL.Path, "/scim/v2")
	switch {
	case r.Method == "POST" && path == "/Users":
		f.createUser(w, body)
	case r.Method == "GET" && path == "/Users":
		f.listUsers(w, r)
	case r.Method == "PATCH" && strings.HasPrefix(path, "/Users/"):
		f.patchUser(w, strings.TrimPrefix(path, "/Users/"), body)
	case r.Method == "POST" && path == "/Groups":
		f.createGroup(w, body)
	case r.Method == "GET" && path == "/Groups":
		f.listGroups(w, r)
	case r.Method == "PATCH" && strings.HasPrefix(path, "/Groups/"):
		f.patchGroup(w, strings.TrimPrefix(path, "/Groups/"), body)
	default:
		f.scimError(w, 404, "no route "+r.Method+" "+path)
	}
}

func (f *fakeSCIM) newID() string {
	f.nextID++
	return fmt.Sprintf("id-%06d", f.nextID)
}

func (f *fakeSCIM) createUser(w http.ResponseWriter, body []byte) {
	if f.fault == faultCreate500 {
		f.scimError(w, 500, "broken")
		return
	}
	var u fakeUser
	if err := json.Unmarshal(body, &u); err != nil || u.UserName == "" {
		f.scimError(w, 400, "bad body")
		return
	}
	key := strings.ToLower(u.UserName)
	if _, dup := f.userByName[key]; dup {
		f.scimError(w, 409, "userName taken")
		return
	}
	u.ID = f.newID()
	f.users[u.ID] = &u
	f.userByName[key] = u.ID
	f.userOrder = append(f.userOrder, u.ID)
	out := u
	if f.fault == faultWrongUserName {
		out.UserName += ".other"
	}
	f.writeJSON(w, 201, out)
}

func (f *fakeSCIM) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if flt := q.Get("filter"); flt != "" {
		m := reEq.FindStringSubmatch(flt)
		if m == nil || m[1] != "userName" {
			f.scimError(w, 400, "unsupported filter "+flt)
			return
		}
		var res []any
		if id, ok := f.userByName[strings.ToLower(m[2])]; ok && f.fault != faultLookupEmpty {
			res = append(res, f.users[id])
		}
		f.list(w, len(res), 1, res)
		return
	}
	start, _ := strconv.Atoi(q.Get("startIndex"))
	count, _ := strconv.Atoi(q.Get("count"))
	start = max(start, 1)
	var res []any
	for i := start - 1; i < len(f.userOrder) && len(res) < count; i++ {
		res = append(res, f.users[f.userOrder[i]])
	}
	total := len(f.userOrder)
	if f.fault == faultTotalPlusOne {
		total++
	}
	f.list(w, total, start, res)
}

type fakePatch struct {
	Schemas    []string `json:"schemas"`
	Operations []struct {
		Op    string          `json:"op"`
		Path  string          `json:"path"`
		Value json.RawMessage `json:"value"`
	} `json:"Operations"`
}

func (f *fakeSCIM) patchUser(w http.ResponseWriter, id string, body []byte) {
	u, ok := f.users[id]
	if !ok {
		f.scimError(w, 404, "no user "+id)
		return
	}
	var p fakePatch
	if err := json.Unmarshal(body, &p); err != nil || len(p.Schemas) != 1 || p.Schemas[0] != schemaPatchOp {
		f.scimError(w, 400, "bad patch")
		return
	}
	for _, op := range p.Operations {
		switch op.Path {
		case "active":
			var v bool
			if err := json.Unmarshal(op.Value, &v); err != nil {
				f.scimError(w, 400, "active must be a boolean")
				return
			}
			u.Active = v
		case "title":
			_ = json.Unmarshal(op.Value, &u.Title)
		}
	}
	out := *u
	if f.fault == faultPatchActive {
		out.Active = true
	}
	f.writeJSON(w, 200, out)
}

func (f *fakeSCIM) createGroup(w http.ResponseWriter, body []byte) {
	var g struct {
		DisplayName string `json:"displayName"`
	}
	if err := json.Unmarshal(body, &g); err != nil || g.DisplayName == "" {
		f.scimError(w, 400, "bad body")
		return
	}
	key := strings.ToLower(g.DisplayName)
	if _, dup := f.groupByNm[key]; dup {
		f.scimError(w, 409, "displayName taken")
		return
	}
	id := f.newID()
	f.groups[id] = &fakeGroup{id: id, name: g.DisplayName, members: map[string]bool{}}
	f.groupByNm[key] = id
	f.writeJSON(w, 201, map[string]any{"id": id, "displayName": g.DisplayName})
}

func (f *fakeSCIM) listGroups(w http.ResponseWriter, r *http.Request) {
	flt := r.URL.Query().Get("filter")
	var res []any
	if m := reMember.FindStringSubmatch(flt); m != nil {
		if g, ok := f.groups[m[1]]; ok && g.members[m[2]] {
			res = append(res, map[string]any{"id": g.id, "displayName": g.name})
		}
	} else if m := reEq.FindStringSubmatch(flt); m != nil && m[1] == "displayName" {
		if id, ok := f.groupByNm[strings.ToLower(m[2])]; ok && f.fault != faultLookupEmpty {
			name := f.groups[id].name
			if f.fault == faultGroupName {
				name += "x"
			}
			res = append(res, map[string]any{"id": id, "displayName": name})
		}
	} else {
		f.scimError(w, 400, "unsupported filter "+flt)
		return
	}
	f.list(w, len(res), 1, res)
}

func (f *fakeSCIM) patchGroup(w http.ResponseWriter, id string, body []byte) {
	g, ok := f.groups[id]
	if !ok {
		f.scimError(w, 404, "no group "+id)
		return
	}
	if f.fault == faultPatch400 {
		f.scimError(w, 400, "refused")
		return
	}
	var p fakePatch
	if err := json.Unmarshal(body, &p); err != nil {
		f.scimError(w, 400, "bad patch")
		return
	}
	for _, op := range p.Operations {
		var vals []struct {
			Value string `json:"value"`
		}
		if len(op.Value) > 0 {
			if err := json.Unmarshal(op.Value, &vals); err != nil {
				f.scimError(w, 400, "bad members value")
				return
			}
		}
		add := strings.EqualFold(op.Op, "add")
		if m := rePath.FindStringSubmatch(op.Path); m != nil && !add {
			vals = append(vals, struct {
				Value string `json:"value"`
			}{m[1]})
		} else if op.Path != "members" {
			f.scimError(w, 400, "unsupported path "+op.Path)
			return
		}
		for _, v := range vals {
			if _, ok := f.users[v.Value]; !ok {
				f.scimError(w, 400, "no user "+v.Value)
				return
			}
			switch {
			case add:
				g.members[v.Value] = true
			case f.fault != faultKeepMembers:
				delete(g.members, v.Value)
			}
		}
	}
	w.WriteHeader(204)
}
