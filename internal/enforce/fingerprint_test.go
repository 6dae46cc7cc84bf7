package enforce

import (
	"math/rand/v2"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
)

// shuffled returns a deep copy of s with every table in a random order.
func shuffled(s *access.State, r *rand.Rand) *access.State {
	c := cloneState(s)
	shuffle(r, c.Users)
	shuffle(r, c.Groups)
	shuffle(r, c.Memberships)
	shuffle(r, c.ServiceAccounts)
	shuffle(r, c.Resources)
	shuffle(r, c.Bindings)
	return c
}

func shuffle[T any](r *rand.Rand, xs []T) {
	r.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
}

func cloneState(s *access.State) *access.State {
	return &access.State{
		Users:           append([]access.User(nil), s.Users...),
		Groups:          append([]access.Group(nil), s.Groups...),
		Memberships:     append([]access.Membership(nil), s.Memberships...),
		ServiceAccounts: append([]access.ServiceAccount(nil), s.ServiceAccounts...),
		Resources:       append([]access.Resource(nil), s.Resources...),
		Bindings:        append([]access.Binding(nil), s.Bindings...),
	}
}

func fingerprintOf(s *access.State) string { return Fingerprint(access.NewIndex(s)) }

func TestFingerprintOrderIndependent(t *testing.T) {
	want := fingerprintOf(ReferenceState())
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		if got := fingerprintOf(shuffled(ReferenceState(), r)); got != want {
			t.Fatalf("shuffle %d: fingerprint %s, want %s", i, got, want)
		}
	}
}

func TestFingerprintChangesWithState(t *testing.T) {
	base := fingerprintOf(ReferenceState())
	mutations := map[string]func(s *access.State){
		"user renamed":             func(s *access.State) { s.Users[0].UserName = "x@example.com" },
		"user deactivated":         func(s *access.State) { s.Users[0].Active = false },
		"user removed":             func(s *access.State) { s.Users[1].Removed = true },
		"user added":               func(s *access.State) { s.Users = append(s.Users, user("new")) },
		"user ID changed":          func(s *access.State) { s.Users[3].ID = "user-admin-2" },
		"group renamed":            func(s *access.State) { s.Groups[0].DisplayName = "eng" },
		"group deactivated":        func(s *access.State) { s.Groups[0].Active = false },
		"group reactivated":        func(s *access.State) { s.Groups[3].Active = true },
		"group added":              func(s *access.State) { s.Groups = append(s.Groups, group("new")) },
		"membership removed":       func(s *access.State) { s.Memberships = s.Memberships[1:] },
		"membership retargeted":    func(s *access.State) { s.Memberships[0].MemberID = "user-2" },
		"membership duplicated":    func(s *access.State) { s.Memberships = append(s.Memberships, s.Memberships[0]) },
		"dangling membership":      func(s *access.State) { s.Memberships = append(s.Memberships, member("nope", U, "user-1")) },
		"membership type changed":  func(s *access.State) { s.Memberships[1].MemberType = U },
		"service account added":    func(s *access.State) { s.ServiceAccounts = append(s.ServiceAccounts, access.ServiceAccount{ID: "sa2"}) },
		"resource renamed":         func(s *access.State) { s.Resources[1].Name = "prod" },
		"project moved":            func(s *access.State) { s.Resources[4].ParentID = "cloud-dev" },
		"project made public":      func(s *access.State) { s.Resources[4].Public = true },
		"resource kind changed":    func(s *access.State) { s.Resources[2].Kind = access.KindProject },
		"binding role changed":     func(s *access.State) { s.Bindings[0].Role = collab },
		"binding resource changed": func(s *access.State) { s.Bindings[1].ResourceID = "cloud-dev" },
		"binding principal":        func(s *access.State) { s.Bindings[2].PrincipalID = "user-2" },
		"binding principal type":   func(s *access.State) { s.Bindings[6].PrincipalType = U },
		"binding ID changed":       func(s *access.State) { s.Bindings[3].ID = "other" },
		"binding removed":          func(s *access.State) { s.Bindings = s.Bindings[:len(s.Bindings)-1] },
		"dangling binding added":   func(s *access.State) { s.Bindings = append(s.Bindings, bind("gone", U, "user-1", ro)) },
	}
	seen := map[string]string{base: "base"}
	for name, mutate := range mutations {
		s := ReferenceState()
		mutate(s)
		got := fingerprintOf(s)
		if prev, dup := seen[got]; dup {
			t.Errorf("%s: fingerprint equals that of %s", name, prev)
		}
		seen[got] = name
	}
}

func TestFingerprintIgnoresServiceAccountNames(t *testing.T) {
	s := ReferenceState()
	s.ServiceAccounts[0].Name = "renamed"
	if fingerprintOf(s) != fingerprintOf(ReferenceState()) {
		t.Error("renaming a service account, which never alters a plan, changed the fingerprint")
	}
}
