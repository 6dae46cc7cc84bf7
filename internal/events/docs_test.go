package events

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite docs/events.md from the catalogue")

// docsPath is docs/events.md, relative to this package.
var docsPath = filepath.Join("..", "..", "docs", "events.md")

// TestDocsMatchCatalogue: docs/events.md documents every type, with an example, exactly as
// the catalogue says. Regenerate it with: go test ./internal/events -run TestDocs -update
func TestDocsMatchCatalogue(t *testing.T) {
	want := renderDocs(t)
	if *update {
		if err := os.WriteFile(docsPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatalf("%v (generate it: go test ./internal/events -run TestDocs -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with the catalogue: go test ./internal/events -run TestDocs -update", docsPath)
	}
}

const docsIntro = `# Change events

<!-- Generated from internal/events/catalogue.go by
     go test ./internal/events -run TestDocs -update; edit the catalogue or docs_test.go. -->

rolecall records one event for every change it commits: users, groups and memberships that an
identity provider provisions over SCIM, grants, resources, service accounts, enforce-groups
runs, settings and tokens. A platform that rolecall protects learns from them, at once, that
it must end a session, stop a job or refresh a cache.

## Guarantees

- **Same transaction.** An event is written in the same transaction as the change it
  describes (an outbox): a committed change always has its events, and a change that failed
  or was rolled back has none.
- **One feed per organization, numbered by the revision.** Each org's events are numbered
  1, 2, 3, … without gaps; the number of an event is the org's *revision* once it is applied,
  the same revision that writes report and that decisions are computed at.
- **Commit order.** Numbers grow in commit order: once a reader has seen event N, no event
  numbered below N ever appears later. A cursor (the last revision read) is therefore all a
  reader needs to resume without missing or repeating anything.
- **One event per thing changed.** A PATCH adding 10,000 members emits 10,000
  ` + "`membership.added`" + ` events; a Bulk request or an enforce run emits all of its events
  in its one transaction.
- **Retention.** Events are kept for a retention window (default 30 days), pruned oldest
  first and only as a prefix, so the retained events are always consecutive. A cursor older
  than the oldest retained event has expired: the reader gets a clear error (HTTP 410) and
  must start over from a fresh state.

## Envelope

Every event is a [CloudEvents 1.0](https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md)
event in structured-mode JSON (` + "`Content-Type: application/cloudevents+json`" + ` when sent alone):

| attribute | meaning |
| --- | --- |
| ` + "`specversion`" + ` | ` + "`\"1.0\"`" + ` |
| ` + "`id`" + ` | the event's unique id (a UUID). Webhook deliveries carry it as ` + "`webhook-id`" + `, the same on every retry: use it as an idempotency key. |
| ` + "`source`" + ` | ` + "`<server URL>/orgs/<org id>`" + ` |
| ` + "`type`" + ` | ` + "`com.rolecall.<noun>.<verb>`" + `, listed below |
| ` + "`subject`" + ` | what changed, relative to the source: ` + "`users/<id>`" + `, ` + "`groups/<id>`" + `, ` + "`groups/<id>/members/<id>`" + `, ` + "`bindings/<id>`" + `, ` + "`clouds/<id>`" + `, ` + "`projects/<id>`" + `, ` + "`serviceAccounts/<id>`" + `, ` + "`runs/<id>`" + `, ` + "`tokens/<id>`" + `, ` + "`settings`" + `, ` + "`drift`" + `, ` + "`schedule`" + ` |
| ` + "`time`" + ` | when the change was made (RFC 3339, UTC) |
| ` + "`datacontenttype`" + ` | ` + "`\"application/json\"`" + ` |
| ` + "`data`" + ` | the payload of the type, below |
| ` + "`orgid`" + ` | the organization (extension attribute) |
| ` + "`revision`" + ` | the org's revision after this event, a decimal number in a string (extension attribute; CloudEvents integers are only 32 bits): the cursor to resume after it |
| ` + "`actor`" + ` | who made the change: a token's name, or ` + "`system`" + ` (extension attribute; may be absent) |
| ` + "`requestid`" + ` | the request that made it, as in the audit log (extension attribute; may be absent) |

Payload fields may be added over time; none changes meaning or disappears. Ignore fields you do
not know.

### Effective-role changes

Events marked *access-relevant* carry ` + "`data.access`" + `: the affected users'
effective-role changes, computed as the enforce-groups preview computes them: one entry per
user and resource whose effective role changes, with ` + "`before`" + ` and ` + "`after`" + ` among
` + "`owner`" + `, ` + "`collaborator`" + `, ` + "`readonly`" + ` and ` + "`none`" + `. Only real changes
are listed (a grant that another grant already covers changes nothing). A change that reaches
many users lists at most %d of them and says in ` + "`omitted`" + ` how many it left out.

## Types

| type | meaning | access-relevant |
| --- | --- | --- |
`

// renderDocs renders docs/events.md from the catalogue.
func renderDocs(t *testing.T) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, docsIntro, MaxAccessChanges)
	for _, in := range Catalogue() {
		yes := ""
		if in.Access {
			yes = "yes"
		}
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s |\n", in.Type, anchor(in.Type), in.Meaning, yes)
	}
	for i, in := range Catalogue() {
		fmt.Fprintf(&b, "\n### %s\n\n%s\n\n", in.Type, in.Meaning)
		ev, err := New(in.Type, in.Example)
		if err != nil {
			t.Fatal(err)
		}
		ev.OrgID = "0190f4a2-0000-7000-8000-00000000000a"
		ev.Seq = int64(41 + i)
		ev.ID = fmt.Sprintf("0190f4a3-5d2e-7a10-9c3b-%012d", 1+i)
		ev.Time = time.Date(2026, 12, 4, 11, 30, 0, 125000000, time.UTC)
		ev.Actor = "okta-scim"
		ev.RequestID = "01JEXAMPLEREQUEST0000000001"
		body, err := json.MarshalIndent(Encode("https://rolecall.example.com", ev), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "```json\n%s\n```\n", body)
	}
	return []byte(b.String())
}

// anchor is GitHub's heading anchor of a type: lower case, dots dropped.
func anchor(t Type) string { return strings.ReplaceAll(string(t), ".", "") }

// TestDocsAnchorsAreUnique guards the table's links.
func TestDocsAnchorsAreUnique(t *testing.T) {
	seen := map[string]Type{}
	for _, in := range Catalogue() {
		a := anchor(in.Type)
		if prev, dup := seen[a]; dup {
			t.Errorf("%s and %s share the anchor %s", prev, in.Type, a)
		}
		seen[a] = in.Type
	}
}
