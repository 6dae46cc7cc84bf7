package e2e

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// The clients of TestCrashConcurrentWrites and the model each keeps of what it was told.

// ccKind is what a client request does.
type ccKind string

const (
	kCreate    ccKind = "create user"           // 201
	kContested ccKind = "create contested"      // 201 or 409
	kDuplicate ccKind = "create duplicate"      // 409: a pool userName in other case
	kInvalid   ccKind = "create invalid"        // 400: active is not a boolean
	kActive    ccKind = "patch user active"     // 200
	kDelete    ccKind = "delete user"           // 204
	kGroup     ccKind = "create group"          // 201, with 5-7 members
	kAdd       ccKind = "patch group +20"       // 200
	kConflict  ccKind = "patch group +20 & 409" // 409 after the members were added
	kShared    ccKind = "patch shared +20"      // 200
	kMissing   ccKind = "patch missing"         // 404
)

// ccOp is one request and the answer it got (status 0: none).
type ccOp struct {
	kind    ccKind
	status  int
	name    string   // userName or displayName of a create
	id      string   // target; for a create, the id answered
	active  bool     // kActive: the value sent
	members []string // kGroup, kAdd, kConflict, kShared: the members sent
}

// wantStatus is the answer a request must get when it gets one.
func (o ccOp) wantStatus() []int {
	switch o.kind {
	case kCreate, kGroup:
		return []int{201}
	case kContested:
		return []int{201, 409}
	case kDuplicate, kConflict:
		return []int{409}
	case kInvalid:
		return []int{400}
	case kActive, kAdd, kShared:
		return []int{200, 204}
	case kDelete:
		return []int{204}
	case kMissing:
		return []int{404}
	}
	return nil
}

// ccUser is a user as the database holds it, or as a client's model says it must.
type ccUser struct {
	id, userName                    string
	active, deleted                 bool
	version, creates, patches, dels int
	emails                          int
}

func (u ccUser) String() string {
	return fmt.Sprintf("id=%s userName=%q active=%v deleted=%v version=%d events(create/patch/delete)=%d/%d/%d emails=%d",
		u.id, u.userName, u.active, u.deleted, u.version, u.creates, u.patches, u.dels, u.emails)
}

// ccGroup is a group as the database holds it, or as a model says it must.
type ccGroup struct {
	id, name                  string
	version, creates, patches int
	members                   map[string]bool
}

func (g ccGroup) String() string {
	return fmt.Sprintf("id=%s displayName=%q version=%d events(create/patch)=%d/%d members=%d",
		g.id, g.name, g.version, g.creates, g.patches, len(g.members))
}

// ccClient is one of the concurrent clients: its requests, and its model of the users and
// groups it created (keyed by lowercased name), built from acknowledged answers only.
type ccClient struct {
	n, round int
	rng      *rand.Rand
	url      string
	scim     string
	pool     []string // pool user ids
	poolName []string
	shared   string // the round's shared group
	sharedN  int    // PATCHes of it sent
	users    map[string]ccUser
	groups   map[string]ccGroup
	live     []string // names of live users, to patch or delete
	gnames   []string
	seq      int
	ops      []ccOp
	bad      []string // answers that were not the one expected
}

func (c *ccClient) prefix() string { return fmt.Sprintf("crash-r%02dw%d-", c.round, c.n) }

// run sends requests until one gets no answer (the server was killed).
func (c *ccClient) run(gate <-chan struct{}) {
	<-gate
	for range ccMaxOps {
		op := c.next()
		c.send(&op)
		c.ops = append(c.ops, op)
		if op.status == 0 {
			return
		}
		if !slices.Contains(op.wantStatus(), op.status) {
			c.bad = append(c.bad, fmt.Sprintf("%s %s %s: answered %d, want %v", op.kind, op.name, op.id, op.status, op.wantStatus()))
			continue
		}
		c.learn(op)
	}
}

// next picks a request; one that needs a user or group the client does not have yet
// becomes a create.
func (c *ccClient) next() ccOp {
	c.seq++
	kinds := []ccKind{kCreate, kCreate, kCreate, kCreate, kContested, kDuplicate, kInvalid, kActive, kActive,
		kActive, kDelete, kGroup, kAdd, kAdd, kConflict, kShared, kMissing}
	k := kinds[c.rng.IntN(len(kinds))]
	if (k == kActive || k == kDelete) && len(c.live) == 0 {
		k = kCreate
	}
	if k == kShared && c.shared == "" {
		k = kAdd
	}
	if (k == kAdd || k == kConflict) && len(c.gnames) == 0 {
		k = kGroup
	}
	op := ccOp{kind: k}
	switch k {
	case kCreate:
		op.name = fmt.Sprintf("Crash-R%02dW%d-User%03d@Example.com", c.round, c.n, c.seq)
	case kContested:
		op.name = fmt.Sprintf("Crash-R%02dC-%d@Example.com", c.round, c.rng.IntN(ccContested))
	case kDuplicate:
		op.name = strings.ToUpper(c.poolName[c.rng.IntN(len(c.poolName))])
	case kInvalid:
		op.name = fmt.Sprintf("Crash-R%02dW%d-Invalid%03d@Example.com", c.round, c.n, c.seq)
	case kActive:
		u := c.users[c.live[c.rng.IntN(len(c.live))]]
		op.id, op.name, op.active = u.id, u.userName, !u.active
	case kDelete:
		u := c.users[c.live[c.rng.IntN(len(c.live))]]
		op.id, op.name = u.id, u.userName
	case kGroup:
		op.name = fmt.Sprintf("Crash-R%02dW%d-Group%03d", c.round, c.n, c.seq)
		op.members = c.newMembers(nil, 5)
		// And up to two of the client's own users, so that deleting one of them must take
		// its memberships with it.
		for _, i := range c.rng.Perm(len(c.live))[:min(2, len(c.live))] {
			op.members = append(op.members, c.users[c.live[i]].id)
		}
	case kAdd, kConflict:
		g := c.groups[c.gnames[c.rng.IntN(len(c.gnames))]]
		op.id, op.name = g.id, g.name
		op.members = c.newMembers(g.members, ccBatch)
	case kShared:
		op.id = c.shared
		at := c.n*ccSlice + c.sharedN*ccBatch
		op.members = c.pool[at : at+ccBatch]
		if c.sharedN++; c.sharedN == ccSlice/ccBatch {
			c.shared = "" // this client's slice of the pool is used up
		}
	case kMissing:
		op.id = uuid.NewString()
		op.members = c.newMembers(nil, ccBatch)
	}
	return op
}

// newMembers picks n pool users that are not in have.
func (c *ccClient) newMembers(have map[string]bool, n int) []string {
	var out []string
	for _, i := range c.rng.Perm(len(c.pool)) {
		if !have[c.pool[i]] {
			out = append(out, c.pool[i])
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// send sends op and records the answer in it, and what the answer says that it should not.
func (c *ccClient) send(op *ccOp) {
	var b []byte
	switch op.kind {
	case kCreate, kContested, kDuplicate:
		op.status, b, _ = call("POST", c.url+"/scim/v2/Users", c.scim, map[string]any{"schemas": []string{userSchema},
			"userName": op.name, "displayName": "crash " + op.name, "active": true,
			"emails": []map[string]any{{"value": strings.ToLower(op.name), "primary": true}}})
	case kInvalid:
		op.status, b, _ = call("POST", c.url+"/scim/v2/Users", c.scim, map[string]any{"schemas": []string{userSchema},
			"userName": op.name, "active": "maybe"})
	case kActive:
		op.status, b, _ = call("PATCH", c.url+"/scim/v2/Users/"+op.id, c.scim, map[string]any{"schemas": []string{ccPatchOp},
			"Operations": []map[string]any{{"op": "replace", "path": "active", "value": op.active}}})
	case kDelete:
		op.status, b, _ = call("DELETE", c.url+"/scim/v2/Users/"+op.id, c.scim, nil)
	case kGroup:
		op.status, b, _ = call("POST", c.url+"/scim/v2/Groups", c.scim, map[string]any{"schemas": []string{groupSchema},
			"displayName": op.name, "members": ccMembers(op.members)})
	case kAdd, kShared:
		op.status, b, _ = call("PATCH", c.url+"/scim/v2/Groups/"+op.id, c.scim, memberPatch(op.members))
	case kConflict:
		// The members are added first, then the rename fails on the unique displayName: the
		// savepoint must take the members back with it.
		op.status, b, _ = call("PATCH", c.url+"/scim/v2/Groups/"+op.id, c.scim, map[string]any{"schemas": []string{ccPatchOp},
			"Operations": []map[string]any{{"op": "add", "path": "members", "value": ccMembers(op.members)},
				{"op": "replace", "path": "displayName", "value": ccTaken}}})
	case kMissing:
		if c.rng.IntN(2) == 0 {
			op.status, b, _ = call("PATCH", c.url+"/scim/v2/Groups/"+op.id, c.scim, memberPatch(op.members))
		} else {
			op.status, b, _ = call("PATCH", c.url+"/scim/v2/Users/"+op.id, c.scim, map[string]any{"schemas": []string{ccPatchOp},
				"Operations": []map[string]any{{"op": "replace", "path": "active", "value": false}}})
		}
	}
	if op.status == 409 && !strings.Contains(string(b), "is already taken") {
		// Every 409 here must be the uniqueness one: for kConflict that is what fails the
		// PATCH after its members were added.
		c.bad = append(c.bad, fmt.Sprintf("%s %s: 409 but not for uniqueness: %s", op.kind, op.name, b))
	}
	if op.status == 201 {
		var doc struct{ ID, UserName, DisplayName string }
		if err := jsonInto(b, &doc); err != nil || doc.ID == "" {
			c.bad = append(c.bad, fmt.Sprintf("%s %s: 201 without an id: %s", op.kind, op.name, b))
		}
		op.id = doc.ID
		got := doc.UserName
		if op.kind == kGroup {
			got = doc.DisplayName
		}
		if got != op.name {
			c.bad = append(c.bad, fmt.Sprintf("%s %s: answered the name %q", op.kind, op.name, got))
		}
	}
}

const ccPatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

func ccMembers(ids []string) []map[string]string {
	ms := make([]map[string]string, len(ids))
	for i, id := range ids {
		ms[i] = map[string]string{"value": id}
	}
	return ms
}

// learn updates the model with an acknowledged request.
func (c *ccClient) learn(op ccOp) {
	c.users, c.groups = op.apply(c.users, c.groups, op.id)
	switch {
	case op.kind == kCreate:
		c.live = append(c.live, strings.ToLower(op.name))
	case op.kind == kDelete:
		c.live = slices.DeleteFunc(c.live, func(n string) bool { return n == strings.ToLower(op.name) })
	case op.kind == kGroup:
		c.gnames = append(c.gnames, strings.ToLower(op.name))
	}
}

// apply returns the model after op took effect; id is the id of what op created (taken from
// the database for a request that got no answer). The maps given are not changed.
func (op ccOp) apply(users map[string]ccUser, groups map[string]ccGroup, id string) (map[string]ccUser, map[string]ccGroup) {
	users, groups = maps.Clone(users), maps.Clone(groups)
	key := strings.ToLower(op.name)
	switch op.kind {
	case kCreate:
		users[key] = ccUser{id: id, userName: op.name, active: true, version: 1, creates: 1, emails: 1}
	case kActive:
		u := users[key]
		u.active = op.active
		u.version++
		u.patches++
		users[key] = u
	case kDelete:
		u := users[key]
		u.deleted = true
		u.version++
		u.dels++
		u.emails = 0
		users[key] = u
		for name, g := range groups {
			if g.members[u.id] {
				// The group's member list changed, so its version (ETag) moves too.
				g.members = maps.Clone(g.members)
				delete(g.members, u.id)
				g.version++
				groups[name] = g
			}
		}
	case kGroup:
		groups[key] = ccGroup{id: id, name: op.name, version: 1, creates: 1, members: ccSet(op.members)}
	case kAdd:
		g := groups[key]
		g.members = maps.Clone(g.members)
		maps.Copy(g.members, ccSet(op.members))
		g.version++
		g.patches++
		groups[key] = g
	}
	// The other kinds fail, or change what no single client models (contested names, the
	// shared group): they are checked across clients.
	return users, groups
}

func ccSet(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// ccWorld is the org the test works in.
