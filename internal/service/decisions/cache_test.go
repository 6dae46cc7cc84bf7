package decisions_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/decision"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/service/decisions"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// countingStore counts read transactions, to show that a decision on an unchanged org reads
// nothing; it passes PeekRevision through.
type countingStore struct {
	store.Store
	views atomic.Int64
}

func (s *countingStore) View(ctx context.Context, fn func(store.Tx) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

func (s *countingStore) PeekRevision(org string) (int64, bool) {
	return s.Store.(store.RevisionPeeker).PeekRevision(org)
}

type env struct {
	t     *testing.T
	ctx   context.Context
	st    *countingStore
	svc   *service.Service
	cache *decisions.Cache
	org   string
}

func newEnv(t *testing.T, dsn string, o decisions.Options) *env {
	t.Helper()
	st := &countingStore{Store: sqltest.Open(t, dsn)}
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "tester"})
	e := &env{t: t, ctx: ctx, st: st, svc: service.New(st), cache: decisions.New(st, o)}
	t.Cleanup(e.cache.Close)
	e.org = e.newOrg("acme")
	return e
}

func (e *env) newOrg(name string) string {
	e.t.Helper()
	o, err := e.svc.CreateOrg(e.ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return o.ID
}

func (e *env) must(_ any, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) revision(org string) int64 {
	e.t.Helper()
	var rev int64
	e.must(nil, e.st.Store.View(e.ctx, func(tx store.Tx) (err error) { rev, err = tx.Revision(e.ctx, org); return err }))
	return rev
}

var userRender = service.UserRender{
	Answer: func(u store.User, _ []store.Group) (any, error) { return u.ID, nil },
	Audit:  func(u store.User) (any, error) { return map[string]any{"id": u.ID}, nil },
	Doc: func(u store.User) (map[string]any, error) {
		d, err := service.DecodeDoc(u.Doc)
		if err != nil {
			return nil, err
		}
		d["userName"], d["active"] = u.UserName, u.Active
		return d, nil
	},
}

func (e *env) createUser(org, name string) string {
	e.t.Helper()
	nu, err := service.UserFromDoc(org, map[string]any{"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": name, "active": true})
	e.must(nil, err)
	w, err := e.svc.CreateUser(e.ctx, nu, userRender)
	e.must(nil, err)
	return w.ID
}

// decide asks the cache, checks that the answer's revision is the store's, and returns it.
func (e *env) decide(org, user, action, project string) bool {
	e.t.Helper()
	ix, reached, err := e.cache.Index(e.ctx, org, 0)
	if err != nil || !reached {
		e.t.Fatalf("Index: %v (reached %v)", err, reached)
	}
	d := ix.Evaluate(decision.Query{Subject: decision.Subject{Type: decision.SubjectUser, ID: user}, Action: action,
		Resource: decision.Resource{Kind: access.KindProject, Name: project}})
	if want := e.revision(org); int64(d.Revision) != want {
		e.t.Errorf("decision computed at revision %d, the store is at %d", d.Revision, want)
	}
	return d.Allowed
}

func (e *env) grant(req api.GrantRequest) {
	e.t.Helper()
	if _, _, err := e.svc.CreateGrant(e.ctx, e.org, req); err != nil {
		e.t.Fatal(err)
	}
}

func grant(role, user, project string) api.GrantRequest {
	return api.GrantRequest{Role: role, PrincipalType: "user", Principal: user, ResourceKind: "project", Resource: project}
}

// TestFreshAfterEachWrite: every write made through the service is in the very next
// decision, applied from its events (one build, no rebuild), and the decision reports the
// revision it was computed at.
func TestFreshAfterEachWrite(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.DSN(t), decisions.Options{})
			e.must(e.svc.CreateCloud(e.ctx, e.org, "c1"))
			e.must(e.svc.CreateProject(e.ctx, e.org, "p1", "c1", ""))
			if e.decide(e.org, "alice", "read", "p1") {
				t.Fatal("unknown user allowed")
			}
			alice := e.createUser(e.org, "alice")
			if e.decide(e.org, "alice", "read", "p1") {
				t.Error("alice reads p1 before any grant")
			}
			e.grant(grant("collaborator", "alice", "p1"))
			if !e.decide(e.org, "alice", "write", "p1") {
				t.Error("grant not visible to the next decision")
			}
			if e.decide(e.org, "alice", "delete", "p1") {
				t.Error("collaborator may delete")
			}
			_, err := e.svc.PatchUser(e.ctx, e.org, alice, "", []scim.PatchOperation{{Op: scim.PatchReplace, Path: "active", Value: false, HasValue: true}}, userRender)
			e.must(nil, err)
			if e.decide(e.org, "alice", "read", "p1") {
				t.Error("deactivation not visible to the next decision")
			}
			_, err = e.svc.PatchUser(e.ctx, e.org, alice, "", []scim.PatchOperation{{Op: scim.PatchReplace, Path: "active", Value: true, HasValue: true}}, userRender)
			e.must(nil, err)
			if !e.decide(e.org, "alice", "write", "p1") {
				t.Error("reactivation not visible")
			}
			e.must(e.svc.RevokeGrant(e.ctx, e.org, grant("collaborator", "alice", "p1")))
			if e.decide(e.org, "alice", "read", "p1") {
				t.Error("revocation not visible")
			}
			e.must(e.svc.CreateProject(e.ctx, e.org, "p2", "c1", ""))
			e.grant(grant("owner", "alice", "p2"))
			if !e.decide(e.org, "alice", "delete", "p2") {
				t.Error("a project created after the build and granted is not visible")
			}
			s := e.cache.Stats()
			if s.Builds != 1 || s.Applied == 0 {
				t.Errorf("stats %+v: want one build and the rest applied from events", s)
			}
		})
	}
}

// TestNoQueryWhenUnchanged: on an org that did not change, decisions read nothing from the
// database (the pending watcher lets the cache peek the revision).
func TestNoQueryWhenUnchanged(t *testing.T) {
	e := newEnv(t, sqltest.SQLiteDSN(t), decisions.Options{})
	e.createUser(e.org, "alice")
	if _, _, err := e.cache.Index(e.ctx, e.org, 0); err != nil {
		t.Fatal(err)
	}
	// The watcher registers asynchronously; wait until it is in place.
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, ok := e.st.PeekRevision(e.org); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cache's watcher never registered")
		}
		time.Sleep(time.Millisecond)
	}
	before := e.st.views.Load()
	for range 100 {
		if _, _, err := e.cache.Index(e.ctx, e.org, 0); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.st.views.Load() - before; n != 0 {
		t.Errorf("100 decisions on an unchanged org ran %d read transactions, want 0", n)
	}
	// And a write is still seen at once.
	e.createUser(e.org, "bob")
	ix, _, err := e.cache.Index(e.ctx, e.org, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := int64(ix.Revision()), e.revision(e.org); got != want {
		t.Errorf("after a write: index at %d, store at %d", got, want)
	}
}

// TestMinRevision: a revision written through another Store (another server) is waited
// for; one that never comes is answered after MaxWait with the revision reached, and
// reached false.
func TestMinRevision(t *testing.T) {
	dsn := sqltest.SQLiteDSN(t)
	e := newEnv(t, dsn, decisions.Options{MaxWait: 2 * time.Second})
	other := service.New(sqltest.Open(t, dsn))
	if _, _, err := e.cache.Index(e.ctx, e.org, 0); err != nil {
		t.Fatal(err)
	}
	_, err := other.CreateCloud(e.ctx, e.org, "elsewhere")
	e.must(nil, err)
	want := e.revision(e.org)
	start := time.Now()
	ix, reached, err := e.cache.Index(e.ctx, e.org, want)
	if err != nil || !reached || int64(ix.Revision()) < want {
		t.Fatalf("min_revision %d: index at %d, reached %v, %v", want, ix.Revision(), reached, err)
	}
	t.Logf("another store's write reached the index %v after the request", time.Since(start).Round(time.Millisecond))

	short := newEnv(t, sqltest.SQLiteDSN(t), decisions.Options{MaxWait: 50 * time.Millisecond})
	ix, reached, err = short.cache.Index(short.ctx, short.org, 1000)
	if err != nil || reached || int64(ix.Revision()) != short.revision(short.org) {
		t.Errorf("a revision that never comes: reached %v at %d, %v; want not reached, at the store's revision", reached, ix.Revision(), err)
	}
}

// TestRebuildOnUntranslatable: an event the cache cannot apply (a type it does not know)
// makes it rebuild the org's index from the store rather than serve a guess.
func TestRebuildOnUntranslatable(t *testing.T) {
	e := newEnv(t, sqltest.SQLiteDSN(t), decisions.Options{})
	e.must(e.svc.CreateCloud(e.ctx, e.org, "c1"))
	e.must(e.svc.CreateProject(e.ctx, e.org, "p1", "c1", ""))
	e.createUser(e.org, "alice")
	e.decide(e.org, "alice", "read", "p1")
	// A grant written straight to the store with an event of an unknown type: only a
	// rebuild can see the grant.
	e.must(nil, e.st.Update(e.ctx, func(tx store.Tx) error {
		u, err := tx.UserByUserName(e.ctx, e.org, "alice")
		if err != nil {
			return err
		}
		p, err := tx.ResourceByName(e.ctx, e.org, store.KindProject, "p1")
		if err != nil {
			return err
		}
		if _, _, err := tx.CreateBinding(e.ctx, store.Binding{OrgID: e.org, ResourceID: p.ID, PrincipalType: store.PrincipalUser, PrincipalID: u.ID, Role: "owner"}); err != nil {
			return err
		}
		_, _, err = tx.AppendEvents(e.ctx, e.org, []store.Event{{Type: "com.rolecall.future.thing"}})
		return err
	}))
	if !e.decide(e.org, "alice", "delete", "p1") {
		t.Error("after an untranslatable event the index did not pick up the change")
	}
	if s := e.cache.Stats(); s.Builds != 2 {
		t.Errorf("stats %+v: want a rebuild", s)
	}
}

// TestEvictionUnderCap: with a cap that holds about two small orgs, using a third evicts
// the least recently used; an evicted org is rebuilt on its next use.
func TestEvictionUnderCap(t *testing.T) {
	e := newEnv(t, sqltest.SQLiteDSN(t), decisions.Options{})
	orgs := []string{e.org, e.newOrg("b"), e.newOrg("c")}
	for _, o := range orgs {
		for _, u := range []string{"u1", "u2", "u3"} {
			e.createUser(o, u)
		}
	}
	one, _, err := e.cache.Index(e.ctx, orgs[0], 0)
	e.must(nil, err)
	capBytes := one.SizeBytes()*2 + one.SizeBytes()/2
	c := decisions.New(e.st, decisions.Options{MaxBytes: capBytes})
	defer c.Close()
	for _, o := range orgs {
		if _, _, err := c.Index(e.ctx, o, 0); err != nil {
			t.Fatal(err)
		}
	}
	s := c.Stats()
	if s.Orgs != 2 || s.Evictions != 1 || s.Bytes > capBytes {
		t.Errorf("cap %d: stats %+v; want 2 orgs held, 1 eviction, bytes within the cap", capBytes, s)
	}
	if _, _, err := c.Index(e.ctx, orgs[0], 0); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Builds != 4 || s.Evictions != 2 {
		t.Errorf("the evicted org used again: stats %+v; want it rebuilt (4 builds) and org b evicted", s)
	}
}

// TestCustomActions: an action set through the service is answered by the next decision
// (from its event), a rebuilt index has it too, and deleting it makes it unknown.
func TestCustomActions(t *testing.T) {
	e := newEnv(t, sqltest.SQLiteDSN(t), decisions.Options{})
	e.must(e.svc.CreateCloud(e.ctx, e.org, "c1"))
	e.must(e.svc.CreateProject(e.ctx, e.org, "p1", "c1", ""))
	e.createUser(e.org, "alice")
	e.grant(grant("collaborator", "alice", "p1"))
	if e.decide(e.org, "alice", "deploy", "p1") {
		t.Fatal("an undefined action is allowed")
	}
	if _, _, err := e.svc.SetCustomAction(e.ctx, e.org, api.CustomAction{Name: "deploy", Project: "write"}); err != nil {
		t.Fatal(err)
	}
	if !e.decide(e.org, "alice", "deploy", "p1") {
		t.Error("deploy (project: collaborator) refused to a collaborator right after it was set")
	}
	if _, _, err := e.svc.SetCustomAction(e.ctx, e.org, api.CustomAction{Name: "deploy", Project: "owner"}); err != nil {
		t.Fatal(err)
	}
	if e.decide(e.org, "alice", "deploy", "p1") {
		t.Error("deploy raised to owner still allowed to a collaborator")
	}
	if s := e.cache.Stats(); s.Builds != 1 {
		t.Errorf("stats %+v: custom actions should apply from events", s)
	}
	fresh := decisions.New(e.st, decisions.Options{})
	defer fresh.Close()
	ix, _, err := fresh.Index(e.ctx, e.org, 0)
	if err != nil {
		t.Fatal(err)
	}
	d := ix.Evaluate(decision.Query{Subject: decision.Subject{Type: decision.SubjectUser, ID: "alice"}, Action: "deploy",
		Resource: decision.Resource{Kind: access.KindProject, Name: "p1"}})
	if d.Allowed || d.Reason != decision.ReasonInsufficientRole {
		t.Errorf("a freshly built index: %+v, want insufficient_role (deploy needs owner)", d)
	}
	if _, err := e.svc.DeleteCustomAction(e.ctx, e.org, "deploy"); err != nil {
		t.Fatal(err)
	}
	ix, _, _ = e.cache.Index(e.ctx, e.org, 0)
	d = ix.Evaluate(decision.Query{Subject: decision.Subject{Type: decision.SubjectUser, ID: "alice"}, Action: "deploy",
		Resource: decision.Resource{Kind: access.KindProject, Name: "p1"}})
	if d.Reason != decision.ReasonUnknownAction {
		t.Errorf("after delete: %+v, want unknown_action", d)
	}
	for _, bad := range []api.CustomAction{{Name: "read", Project: "owner"}, {Name: "deploy"}, {Name: "has space", Project: "owner"}, {Name: "x", Organization: "readonly"}} {
		if _, _, err := e.svc.SetCustomAction(e.ctx, e.org, bad); err == nil {
			t.Errorf("SetCustomAction(%+v) accepted", bad)
		}
	}
}
