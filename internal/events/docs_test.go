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
  ` + "`membership.added`" + ` events, one per member really added (none for a member that was
  already there); an enforce run emits all of its events in its one transaction. Each
  operation of a SCIM Bulk request commits on its own, as the operations themselves do, with
  its events.
- **Cascades are spelled out.** A delete that takes other things with it reports them first:
  deleting a user emits ` + "`membership.removed`" + ` for each of its groups and
  ` + "`grant.revoked`" + ` for each of its grants, then ` + "`user.deleted`" + `; deleting a
  resource or a service account emits ` + "`grant.revoked`" + ` for each grant it took; an
  enforce run emits ` + "`user.removed`" + ` per removed user and ` + "`grant.revoked`" + ` per
  deleted grant, and undoing it ` + "`grant.created`" + ` per restored grant and
  ` + "`user.reactivated`" + ` per restored user (` + "`user.updated`" + ` with
  ` + "`changed: [\"removed\"]`" + ` for one that was inactive before). A reader that follows users,
  groups, memberships and grants can keep an exact copy without knowing the cascade rules.
- **Retention.** Events are kept for a retention window (default 30 days), pruned oldest
  first and only as a prefix, so the retained events are always consecutive. A cursor older
  than the oldest retained event has expired: the reader gets a clear error (HTTP 410) and
  must start over from a fresh state.

## Reading the feed

` + "`GET /api/v1/events?after=CURSOR&types=T1,T2&limit=N&wait=30s`" + ` answers the org's events
after the cursor, oldest first, and the cursor to resume from:

` + "```json" + `
{"events": [ {CloudEvent}, … ], "next": "1043", "revision": "1043"}
` + "```" + `

- ` + "`after`" + `: the revision of the last event you processed (or an earlier answer's
  ` + "`next`" + `); omitted, the feed starts at the oldest retained event. A cursor ahead of the
  org's feed is 400; one older than the retention is **410** (` + "`cursor_expired`" + `): read
  the state again and follow from a new cursor.
- ` + "`types`" + `: keep only these types, full or short (` + "`user.deactivated`" + `); ` + "`next`" + `
  still moves past the events left out.
- ` + "`limit`" + `: 1 to 10,000 (default 100). When a page is full, ask again from ` + "`next`" + `.
- ` + "`wait`" + `: long-poll. An answer that would be empty is held until a matching event
  commits (it answers at once then) or ` + "`wait`" + ` has passed (at most 60 s); then it answers no
  events and a ` + "`next`" + ` to wait again from.
- Token: an **events**-scope token (` + "`rolecall token create --name feed --scope events`" + `)
  reads the feed and nothing else; an admin token may read it too. Each token sees its own
  org's events only.
- CLI: ` + "`rolecall events tail [--follow] [--types T1,T2] [--after CURSOR] -o json`" + ` prints
  one CloudEvent per line; without ` + "`-o json`" + ` one line per event, with its role changes
  under it (the first five, then how many more).
- Pushed instead: a webhook endpoint receives the same events, signed, at least once and
  in order ([webhooks.md](webhooks.md)).

Every write of the SCIM and admin APIs answers the org's revision after it in the
` + "`X-Rolecall-Revision`" + ` header (a write that changed nothing answers the current one): a client
that wrote can wait for the feed (or a decision) to reach that revision. The server deletes
events older than ` + "`--event-retention`" + ` (default 720h, env ` + "`ROLECALL_EVENT_RETENTION`" + `)
every hour.

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
effective-role changes, computed in the write's transaction as the enforce-groups preview
computes them: one entry per user and resource whose role changes, with ` + "`before`" + ` and
` + "`after`" + ` among ` + "`owner`" + `, ` + "`collaborator`" + `, ` + "`readonly`" + ` and ` + "`none`" + `. Only real changes
are listed (a grant that another grant already covers changes nothing, and an empty
` + "`changes`" + ` list says the event changed nobody's roles). The organization's line gives the org
role; cloud and project lines give what grants and public projects give there: org ownership
is not repeated on every cloud and project, and a user who is an org owner after the change
has no cloud or project line (it is owner everywhere). A change that reaches many users lists
at most %d entries and says in ` + "`omitted`" + ` how many it left out.

Which users each event covers:

- ` + "`user.deactivated`" + `, ` + "`user.reactivated`" + `, ` + "`user.deleted`" + `, ` + "`user.removed`" + `: that user, every role
  it loses or regains (through its groups too).
- ` + "`grant.created`" + `, ` + "`grant.revoked`" + `: a user's grant, that user; a group's grant, every user
  below the group (nested groups included); a service account's grant carries none (service
  accounts are not users).
- ` + "`membership.added`" + `, ` + "`membership.removed`" + `: the member if it is a user, every user below it if
  it is a group. The change is the request's membership changes taken together: one PATCH
  that adds and removes several members reports each user's roles from before those changes
  to after them, on the first of its events that reaches the user (a user below two member
  groups is listed once), and a member added and removed in one request changed nothing and
  has no event at all. A removed user the request brings back (enforce-groups had removed
  it) changes nothing on its membership event and regains its roles on the
  ` + "`user.reactivated`" + ` that follows. When the same request also renames the group, the bindings
  its rules then make or delete have their own grant events, after the membership events.
- ` + "`group.deleted`" + `: every user below the group, what it no longer gives them.
- ` + "`resource.created`" + ` of a public project, ` + "`resource.deleted`" + `, ` + "`resource.visibility_changed`" + `:
  the users holding a role on the resource (for a public project, on its cloud), directly or
  through groups. A cloud or private project created changes nobody's roles and carries none
  (its rules' bindings have their own grant events).
- ` + "`enforce.applied`" + `: the preview's changes of the users it keeps (each removed user's loss is
  on its ` + "`user.removed`" + `); ` + "`enforce.undone`" + `: what the undo gives back to the users it did not
  remove (each restored user's roles are on its ` + "`user.reactivated`" + `).
- ` + "`rules.changed`" + `: the rule change's (or its undo's) effect on every user; the ` + "`grant.*`" + `
  events of the bindings it makes or deletes carry none. The bindings a rule makes or
  deletes because a group was created, renamed or given another externalId, or a cloud or
  project created or renamed,
  have ` + "`grant.*`" + ` events that carry the change for the users below their group (each user on
  the first of them that reaches it).
- ` + "`drift.reported`" + `: what applying enforce-groups now would change.
- What a deletion or an enforce run takes with it carries none, the event that did it
  carries the change: the ` + "`grant.revoked`" + ` of the grants of a deleted resource, user or service
  account or of an enforce run (` + "`resource.deleted`" + `, ` + "`user.deleted`" + `, ` + "`enforce.applied`" + `), the
  ` + "`membership.removed`" + ` of a deleted user's memberships (` + "`user.deleted`" + `), the ` + "`grant.created`" + ` of
  the grants an undo restores (` + "`enforce.undone`" + `).

Read in order, the events that report a change add up (` + "`drift.reported`" + ` reports what would
change): each line's ` + "`before`" + ` is what the lines before it left, for the roles bindings give.
One exception, the price of the preview's terms: while a user is an org owner its cloud and
project lines are not listed (it is owner of all), so a reader that tracks a user's roles
per cloud and project should read them again when its organization line says it stops
being an owner (` + "`GET /api/v1/access/users/{user}`" + `, ` + "`rolecall access list --user U`" + `).
Writes that compute these changes are serialised within an organization (on PostgreSQL by a
lock of their own), so this holds for concurrent writes too. The computation reads only
the users a write reaches, their groups and their grants; a write that reaches a third or
more of a big organization reads the organization whole. Its cost is measured in
BENCHMARKS.md (Change events: effective-role changes).

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
