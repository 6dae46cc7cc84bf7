package authzenapi

import (
	"encoding/json"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/decision"
)

// appendJSON writes decision contexts by hand; it must write what encoding/json writes.
func TestContextJSONMatchesEncodingJSON(t *testing.T) {
	role := access.RoleOwner
	yes, no := true, false
	for _, c := range []DecisionContext{
		{},
		{Revision: 42},
		{Revision: 7, Reason: decision.ReasonInsufficientRole, ReasonAdmin: map[string]string{"en": `action "write" on project "p<1>" needs role collaborator`}},
		{Revision: 7, Reason: decision.ReasonUnknownSubject, ReasonAdmin: map[string]string{"en": "no user named \"a\u2028b\xff\""}, MinRevisionReached: &no},
		{Revision: 1, ImplicitCollaborator: true, MinRevisionReached: &yes},
		{Revision: 1, ReasonAdmin: map[string]string{"fr": "non"}},
		{Revision: 1, ReasonAdmin: map[string]string{"en": "no", "fr": "non"}},
		{Revision: 9, Role: &role, Sources: []access.Source{{Kind: access.SourceDirect}}},
		{Revision: 9, Sources: []access.Source{}},
	} {
		type plain DecisionContext
		want, err := json.Marshal(plain(c))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.appendJSON([]byte("prefix")); string(got) != "prefix"+string(want) {
			t.Errorf("%+v:\n got %s\nwant prefix%s", c, got, want)
		}
	}
	// The hot path's message field writes what the map would.
	fast := DecisionContext{Revision: 3, Reason: decision.ReasonInsufficientRole, reasonEN: "needs <more>"}
	slow := DecisionContext{Revision: 3, Reason: decision.ReasonInsufficientRole, ReasonAdmin: map[string]string{"en": "needs <more>"}}
	if got, want := fast.appendJSON(nil), slow.appendJSON(nil); string(got) != string(want) {
		t.Errorf("reasonEN: %s, ReasonAdmin: %s", got, want)
	}
}
