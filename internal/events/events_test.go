package events

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// stored returns ev as AppendEvents would have filled it in.
func stored(ev store.Event, seq int64) store.Event {
	ev.OrgID = "0190f4a2-0000-7000-8000-00000000000a"
	ev.Seq = seq
	ev.ID = "0190f4a2-1b7c-7c4e-8a51-3c2d9e0f9999"
	ev.Time = time.Date(2026, 12, 4, 11, 30, 0, 123456000, time.UTC)
	ev.Actor = "okta-scim"
	ev.RequestID = "req-1"
	return ev
}

// TestCatalogueEncodesAsCloudEvents: every catalogued type, with its example payload, makes
// a stored event that encodes as a valid CloudEvents 1.0 structured-mode document, whose
// required attributes a generic CloudEvents reader (one that knows nothing of this package)
// finds.
func TestCatalogueEncodesAsCloudEvents(t *testing.T) {
	reverseDNS := regexp.MustCompile(`^[a-z0-9]+(\.[a-z0-9_]+){3}$`)
	seen := map[Type]bool{}
	for i, info := range Catalogue() {
		t.Run(string(info.Type), func(t *testing.T) {
			if seen[info.Type] {
				t.Fatalf("type listed twice")
			}
			seen[info.Type] = true
			if !strings.HasPrefix(string(info.Type), "com.rolecall.") || !reverseDNS.MatchString(string(info.Type)) {
				t.Errorf("type is not reverse-DNS com.rolecall.<noun>.<verb>")
			}
			if info.Meaning == "" || strings.Contains(info.Meaning, "\n") || !strings.HasSuffix(info.Meaning, ".") {
				t.Errorf("meaning %q: want one line ending with a period", info.Meaning)
			}
			ev, err := New(info.Type, info.Example)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if ev.Type != string(info.Type) || ev.Subject == "" || ev.Subject != info.Example.Subject() {
				t.Errorf("New = type %q subject %q", ev.Type, ev.Subject)
			}
			body, err := Marshal("https://rolecall.example.com/", stored(ev, int64(i+1)))
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}

			// A generic reader's view: a JSON object with the required attributes.
			var generic map[string]json.RawMessage
			if err := json.Unmarshal(body, &generic); err != nil {
				t.Fatalf("body is not a JSON object: %v", err)
			}
			str := func(k string) string {
				var s string
				if err := json.Unmarshal(generic[k], &s); err != nil {
					t.Errorf("attribute %s is not a string: %s", k, generic[k])
				}
				return s
			}
			for _, k := range []string{"specversion", "id", "source", "type", "time", "subject", "datacontenttype", "orgid", "revision"} {
				if str(k) == "" {
					t.Errorf("attribute %s missing or empty", k)
				}
			}
			if str("specversion") != "1.0" || str("type") != string(info.Type) || str("datacontenttype") != "application/json" {
				t.Errorf("specversion %q type %q datacontenttype %q", str("specversion"), str("type"), str("datacontenttype"))
			}
			if src := str("source"); src != "https://rolecall.example.com/orgs/0190f4a2-0000-7000-8000-00000000000a" {
				t.Errorf("source = %q", src)
			}
			if _, err := time.Parse(time.RFC3339Nano, str("time")); err != nil {
				t.Errorf("time is not RFC 3339: %v", err)
			}
			for k := range generic {
				// CloudEvents attribute names: lower-case letters and digits only.
				if !regexp.MustCompile(`^[a-z0-9]{1,20}$`).MatchString(k) {
					t.Errorf("attribute name %q is not a valid CloudEvents name", k)
				}
			}
			want, _ := json.Marshal(info.Example)
			if !jsonEqual(generic["data"], want) {
				t.Errorf("data = %s, want %s", generic["data"], want)
			}

			// This package's view.
			var ce CloudEvent
			if err := json.Unmarshal(body, &ce); err != nil {
				t.Fatal(err)
			}
			if err := Validate(ce); err != nil {
				t.Error(err)
			}
			if _, has := generic["data"]; !has {
				t.Fatal("no data")
			}
			var payload map[string]json.RawMessage
			_ = json.Unmarshal(generic["data"], &payload)
			if _, has := payload["access"]; has != info.Access {
				t.Errorf("catalogue says access-relevant = %v, example data has access = %v", info.Access, has)
			}
		})
	}
	if len(seen) < 26 {
		t.Errorf("catalogue has %d types, want at least the 26 of the change-events issue", len(seen))
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func TestNewRefusesWhatTheCatalogueDoesNotSay(t *testing.T) {
	if _, err := New("com.rolecall.user.exploded", UserData{}); !errors.Is(err, ErrUnknownType) {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := New(UserDeactivated, GroupData{}); err == nil || !strings.Contains(err.Error(), "UserData") {
		t.Errorf("wrong payload type: %v", err)
	}
	if _, err := New(UserDeactivated, &UserData{}); err == nil {
		t.Error("a pointer payload was accepted")
	}
}

func TestValidateRejects(t *testing.T) {
	good := Encode("", stored(store.Event{Type: string(UserCreated), Subject: "users/x", Data: json.RawMessage(`{}`)}, 7))
	if err := Validate(good); err != nil {
		t.Fatalf("valid event refused: %v", err)
	}
	if good.Source != "/orgs/0190f4a2-0000-7000-8000-00000000000a" || good.Revision != "7" {
		t.Errorf("source %q revision %q", good.Source, good.Revision)
	}
	for name, mod := range map[string]func(*CloudEvent){
		"specversion": func(c *CloudEvent) { c.SpecVersion = "0.3" },
		"id":          func(c *CloudEvent) { c.ID = "" },
		"source":      func(c *CloudEvent) { c.Source = "" },
		"type":        func(c *CloudEvent) { c.Type = "user.created" },
		"time":        func(c *CloudEvent) { c.Time = time.Time{} },
		"data":        func(c *CloudEvent) { c.Data = json.RawMessage(`{`) },
		"revision":    func(c *CloudEvent) { c.Revision = "0" },
		"orgid":       func(c *CloudEvent) { c.OrgID = "" },
	} {
		ce := good
		mod(&ce)
		if err := Validate(ce); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: Validate = %v", name, err)
		}
	}
}

func TestAccessChangesAreCapped(t *testing.T) {
	if a := NewAccessChanges(nil); a.Changes == nil || a.Omitted != 0 {
		t.Errorf("nil changes = %+v, want an empty list", a)
	}
	a := NewAccessChanges(make([]RoleChange, MaxAccessChanges+5))
	if len(a.Changes) != MaxAccessChanges || a.Omitted != 5 {
		t.Errorf("capped = %d changes, %d omitted", len(a.Changes), a.Omitted)
	}
}

func TestSubjects(t *testing.T) {
	for _, tc := range []struct {
		d    Data
		want string
	}{
		{ResourceData{Resource: ResourceRef{Kind: "organization", ID: "o"}}, "organization"},
		{ResourceData{Resource: ResourceRef{Kind: "cloud", ID: "c"}}, "clouds/c"},
		{ResourceData{Resource: ResourceRef{Kind: "project", ID: "p"}}, "projects/p"},
		{MembershipData{Group: GroupRef{ID: "g"}, Member: MemberRef{ID: "u"}}, "groups/g/members/u"},
	} {
		if got := tc.d.Subject(); got != tc.want {
			t.Errorf("%T.Subject() = %q, want %q", tc.d, got, tc.want)
		}
	}
}
