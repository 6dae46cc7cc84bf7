package population

import (
	"encoding/json"
	"hash/fnv"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
)

func small() Spec {
	sp := Scaled(2000)
	sp.Clouds, sp.ProjectsPerCloud = 10, 20
	return sp
}

func digest(t *testing.T, v any) uint64 {
	t.Helper()
	h := fnv.New64a()
	if err := json.NewEncoder(h).Encode(v); err != nil {
		t.Fatal(err)
	}
	return h.Sum64()
}

func TestGenerateIsDeterministicAndSized(t *testing.T) {
	sp := small()
	a, err := Generate(sp)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(sp)
	if digest(t, a) != digest(t, b) {
		t.Fatal("two draws of one Spec differ")
	}
	sp.Seed++
	c, _ := Generate(sp)
	if digest(t, a) == digest(t, c) {
		t.Fatal("another seed drew the same state")
	}
	if len(a.Users) != sp.Users || len(a.Groups) != sp.Groups || len(a.Memberships) != sp.Memberships ||
		len(a.Bindings) != sp.Bindings || len(a.ServiceAccounts) != sp.ServiceAccounts ||
		len(a.Resources) != 1+sp.Clouds*(1+sp.ProjectsPerCloud) {
		t.Fatalf("sizes: %d users %d groups %d memberships %d bindings %d accounts %d resources",
			len(a.Users), len(a.Groups), len(a.Memberships), len(a.Bindings), len(a.ServiceAccounts), len(a.Resources))
	}
	// Storable: no membership or (resource, principal) pair twice, nesting only toward
	// earlier groups, roles valid on their resource's kind.
	seen := map[string]bool{}
	kinds := map[string]access.Kind{}
	for _, r := range a.Resources {
		kinds[r.ID] = r.Kind
	}
	for _, m := range a.Memberships {
		k := m.GroupID + "/" + m.MemberID
		if seen[k] {
			t.Fatalf("membership %s twice", k)
		}
		seen[k] = true
	}
	for _, bd := range a.Bindings {
		k := bd.ResourceID + "/" + bd.PrincipalID
		if seen[k] {
			t.Fatalf("binding %s twice", k)
		}
		seen[k] = true
		if err := access.ValidateBinding(kinds[bd.ResourceID], bd.Role); err != nil {
			t.Fatal(err)
		}
	}
	var inactiveU, removed, inactiveG int
	for _, u := range a.Users {
		if !u.Active {
			inactiveU++
		}
		if u.Removed {
			removed++
		}
	}
	for _, g := range a.Groups {
		if !g.Active {
			inactiveG++
		}
	}
	if inactiveU == 0 || removed == 0 || inactiveG == 0 {
		t.Fatalf("%d inactive users, %d removed, %d inactive groups: want some of each", inactiveU, removed, inactiveG)
	}
}

func TestBudgetAndScaledValidate(t *testing.T) {
	for _, sp := range []Spec{Budget(), Scaled(10_000), Scaled(1_000)} {
		if err := sp.Validate(); err != nil {
			t.Errorf("%+v: %v", sp, err)
		}
	}
	b := Budget()
	if b.Users != 100_000 || b.Groups != 10_000 || b.Memberships != 1_000_000 || b.Bindings != 500_000 || b.Clouds*b.ProjectsPerCloud != 10_000 {
		t.Fatalf("the budget population changed: %+v", b)
	}
}

func TestEvaluationsMixAllowAndDeny(t *testing.T) {
	s, err := Generate(small())
	if err != nil {
		t.Fatal(err)
	}
	ev := Evaluations(s, 2000, 7)
	if digest(t, ev) != digest(t, Evaluations(s, 2000, 7)) {
		t.Fatal("evaluations are not deterministic")
	}
	allow, kinds, subjects, actions := 0, map[string]int{}, map[string]int{}, map[string]int{}
	for _, e := range ev {
		if e.Expect {
			allow++
		}
		kinds[e.Resource.Type]++
		subjects[e.Subject.Type]++
		actions[e.Action.Name]++
	}
	if allow < len(ev)/5 || allow > len(ev)*4/5 {
		t.Errorf("%d of %d allowed: want a mix", allow, len(ev))
	}
	for _, k := range []string{"organization", "cloud", "project"} {
		if kinds[k] == 0 {
			t.Errorf("no request on a %s", k)
		}
	}
	if subjects["service_account"] == 0 || len(actions) != len(Actions) {
		t.Errorf("subjects %v, actions %v", subjects, actions)
	}
	se := Searches(s, 20, 3)
	some := false
	for _, q := range se {
		some = some || q.Expect > 0
	}
	if !some {
		t.Error("no search finds anything")
	}
}

// fga evaluates tuples the way OpenFGA evaluates bench/authzen/model.fga: a small
// reimplementation of that model's rewrites, so that the tuple mapping can be checked
// against rolecall's rules without an OpenFGA server.
type fga struct {
	direct map[string]map[string]bool // object#relation -> users
	org    map[string]string          // cloud/project object -> organization object
}

func newFGA(t *testing.T, s *access.State) *fga {
	f := &fga{direct: map[string]map[string]bool{}, org: map[string]string{}}
	err := Tuples(s, func(tp Tuple) error {
		if tp.Relation == "org" {
			f.org[tp.Object] = tp.User
			return nil
		}
		k := tp.Object + "#" + tp.Relation
		if f.direct[k] == nil {
			f.direct[k] = map[string]bool{}
		}
		if f.direct[k][tp.User] {
			t.Errorf("tuple %+v twice", tp)
		}
		f.direct[k][tp.User] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// member reports whether user is in group object g (transitively through group#member).
func (f *fga) member(user, g string, seen map[string]bool) bool {
	if seen[g] {
		return false
	}
	seen[g] = true
	for u := range f.direct[g+"#member"] {
		if u == user {
			return true
		}
		if strings.HasSuffix(u, "#member") && f.member(user, strings.TrimSuffix(u, "#member"), seen) {
			return true
		}
	}
	return false
}

// has reports a directly assigned relation: [user, group#member, service_account].
func (f *fga) has(user, object, rel string) bool {
	for u := range f.direct[object+"#"+rel] {
		if u == user || (strings.HasSuffix(u, "#member") && f.member(user, strings.TrimSuffix(u, "#member"), map[string]bool{})) {
			return true
		}
	}
	return false
}

func (f *fga) check(user, object, rel string) bool {
	switch rel {
	case "owner":
		return f.has(user, object, "owner") || (f.org[object] != "" && f.check(user, f.org[object], "owner"))
	case "collaborator", "write":
		return f.has(user, object, "collaborator") || f.check(user, object, "owner")
	case "readonly", "read":
		return f.has(user, object, "readonly") || f.check(user, object, "collaborator")
	case "delete", "manage":
		return f.check(user, object, "owner")
	}
	return false
}

func TestTuplesDecideLikeRolecall(t *testing.T) {
	sp := small()
	sp.Users, sp.Memberships, sp.Bindings, sp.Ungrouped, sp.Groups = 600, 3000, 3000, 30, 60
	s, err := Generate(sp)
	if err != nil {
		t.Fatal(err)
	}
	f := newFGA(t, s)
	ev := Evaluations(s, 4000, 11)
	allow := 0
	for _, e := range ev {
		id := e.Subject.ID
		if e.Subject.Type == "user" {
			id = FGAUserID(id)
		}
		got := f.check(e.Subject.Type+":"+id, e.Resource.Type+":"+e.Resource.ID, e.Action.Name)
		if got != e.Expect {
			t.Fatalf("%+v: the tuples decide %v", e, got)
		}
		if got {
			allow++
		}
	}
	if allow == 0 || allow == len(ev) {
		t.Fatalf("%d of %d allowed", allow, len(ev))
	}
}
