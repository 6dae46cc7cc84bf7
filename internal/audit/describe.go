package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/store"
)

// Describe fills what makes an event readable — the target's name, the subject (a grant's
// principal) and a one-line summary — from its action and its before/after documents, when
// they are not set yet. Log calls it as it writes, so that every use case fills them alike
// and names survive renames and deletes; readers call it for events written before these
// were recorded (the documents are the same). What it cannot name stays empty, and Label
// falls back to the target's type and id.
func Describe(e *store.AuditEvent) {
	if e.Summary != "" {
		return
	}
	before, after := parse(e.Before), parse(e.After)
	cur := after
	if cur == nil {
		cur = before
	}
	actor := e.Actor
	if actor == "" {
		actor = "someone"
	}
	name := ""
	verb := lastPart(e.Action)
	var what string // the summary after the actor
	switch e.TargetType {
	case TargetUser:
		name = cur.str("userName")
		what = describeUser(verb, name, before, after)
	case TargetGroup:
		name = cur.str("displayName")
		what = describeGroup(verb, name, before, after)
	case TargetCloud, TargetProject, TargetServiceAccount:
		if o := before.obj("object"); verb == "delete" && o != nil {
			name = o.str("name")
			what = fmt.Sprintf("deleted %s %s", kindWord(e.TargetType), name)
			if n := len(before.list("grants")); n > 0 {
				what += fmt.Sprintf(" and %s that went with it", count(n, "grant"))
			}
			break
		}
		name = cur.str("name")
		what = describeResource(e.TargetType, verb, name, before, after)
	case TargetToken:
		name = cur.str("name")
		switch verb {
		case "create":
			what = fmt.Sprintf("created %s token %s", cur.str("scope"), name)
		case "revoke":
			what = "revoked token " + name
		}
	case TargetGrant:
		name = grantName(cur)
		e.SubjectType, e.SubjectID, e.SubjectName = cur.str("principalType"), cur.str("principalId"), cur.str("principalName")
		switch e.Action {
		case ActionGrantCreate:
			what = "granted " + name
		case ActionGrantRevoke:
			what = fmt.Sprintf("revoked %s on %s from %s", cur.str("role"), resourceName(cur), principalName(cur))
		case ActionGrantChangeRole:
			what = fmt.Sprintf("changed %s's role on %s from %s to %s", principalName(cur), resourceName(cur),
				before.str("role"), after.str("role"))
		}
	case TargetEnforceRun:
		name = e.TargetID
		switch e.Action {
		case ActionEnforceScheduled:
			what = fmt.Sprintf("applied enforce run %s on schedule (removed %s, deleted %s)", e.TargetID,
				count(after.num("removedUsers"), "user"), count(after.num("deletedBindings"), "grant"))
		case ActionEnforceApply:
			what = fmt.Sprintf("removed %s and %s (enforce run %s)", count(after.num("removedUsers"), "user"),
				count(after.num("deletedBindings"), "grant"), e.TargetID)
		case ActionEnforceUndo:
			what = fmt.Sprintf("undid enforce run %s: restored %s and %s", e.TargetID,
				count(after.num("restoredBindings"), "grant"), count(after.num("restoredUsers"), "user"))
			if s := after.num("skippedBindings") + after.num("skippedUsers"); s > 0 {
				what += fmt.Sprintf(", skipped %d", s)
			}
		}
	case TargetOrganization:
		name = cur.str("name")
		switch e.Action {
		case ActionOrgCreate:
			what = "created organization " + name
		case ActionOrgSettingsUpdate:
			var parts []string
			if before == nil || before.boolean("groupsOnly") != after.boolean("groupsOnly") {
				parts = append(parts, "turned groups-only mode "+onOff(after.boolean("groupsOnly")))
			}
			if m := after.num("maxExemptions"); m > 0 && before != nil && before.num("maxExemptions") != m {
				parts = append(parts, fmt.Sprintf("set the most exempt users to %d", m))
			}
			if len(parts) == 0 {
				parts = append(parts, "turned groups-only mode "+onOff(after.boolean("groupsOnly")))
			}
			what = strings.Join(parts, " and ")
		}
	case TargetDriftSchedule:
		switch e.Action {
		case ActionScheduleSet:
			what = "set the drift schedule: every " + after.str("every")
			if after.boolean("autoApply") {
				what += fmt.Sprintf(", applying within %s removed and %s deleted", count(after.num("maxUsersRemoved"), "user"),
					count(after.num("maxBindingsDeleted"), "grant"))
			} else {
				what += ", reporting only"
			}
		case ActionScheduleDelete:
			what = "turned the drift schedule off"
		case ActionEnforceScheduled:
			what = "ran the drift schedule: reported only (" + after.str("reason") + ")"
		}
	case TargetRuleChange:
		name = e.TargetID
		if c := after.obj("change"); c != nil && c.str("summary") != "" {
			what = fmt.Sprintf("%s: %s added, %s removed (rule change %s)", c.str("summary"),
				count(c.num("bindingsAdded"), "grant"), count(c.num("bindingsRemoved"), "grant"), e.TargetID)
		}
	case TargetCustomAction:
		name = e.TargetID
		switch verb {
		case "set":
			what = "set custom action " + name
		case "delete":
			what = "deleted custom action " + name
		}
	}
	if e.TargetName == "" {
		e.TargetName = oneLine(name)
	}
	if what == "" {
		what = fmt.Sprintf("%s %s", e.Action, Label(*e))
	}
	e.Summary = oneLine(actor + " " + what)
}

// oneLine keeps a summary on one line whatever an identity provider put in a name: control
// characters (a newline in a userName) become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// Label names an event's target for people: its type and name ("user alice@example.com",
// "grant collaborator on prod-cloud to bob@example.com"), or its type and id when no name
// was recorded.
func Label(e store.AuditEvent) string {
	typ := kindWord(e.TargetType)
	switch {
	case e.TargetName != "":
		return strings.TrimSpace(typ + " " + e.TargetName)
	case e.TargetID != "":
		return strings.TrimSpace(typ + " " + e.TargetID)
	}
	return typ
}

func describeUser(verb, name string, before, after doc) string {
	switch verb {
	case "create":
		if after != nil && !after.active() {
			return "created user " + name + " (inactive)"
		}
		return "created user " + name
	case "delete":
		return "deleted user " + name
	case "exempted":
		if before != nil {
			return fmt.Sprintf("changed the reason %s is exempt from enforce-groups: %s", name, after.str("reason"))
		}
		return fmt.Sprintf("exempted %s from enforce-groups: %s", name, after.str("reason"))
	case "unexempted":
		return fmt.Sprintf("lifted %s's exemption from enforce-groups", name)
	}
	if old := before.str("userName"); old != "" && old != name {
		return fmt.Sprintf("renamed user %s to %s", old, name)
	}
	switch wasActive, isActive := before.active(), after.active(); {
	case wasActive && !isActive:
		return "deactivated " + name
	case !wasActive && isActive:
		return "reactivated " + name
	}
	return "updated user " + name
}

func describeGroup(verb, name string, before, after doc) string {
	mc := after.obj("memberChanges")
	switch verb {
	case "create":
		if n := mc.num("added"); n > 0 {
			return fmt.Sprintf("created group %s with %s", name, count(n, "member"))
		}
		return "created group " + name
	case "delete":
		return "deleted group " + name
	}
	what := "updated group " + name
	if old := before.str("displayName"); old != "" && old != name {
		what = fmt.Sprintf("renamed group %s to %s", old, name)
	}
	added, removed := mc.num("added"), mc.num("removed")
	if what != "updated group "+name {
		if added+removed > 0 {
			what += fmt.Sprintf(" (%s added, %d removed)", count(added, "member"), removed)
		}
		return what
	}
	switch {
	case added > 0 && removed > 0:
		return fmt.Sprintf("added %s to group %s and removed %d", count(added, "member"), name, removed)
	case added > 0:
		return fmt.Sprintf("added %s to group %s", count(added, "member"), name)
	case removed > 0:
		return fmt.Sprintf("removed %s from group %s", count(removed, "member"), name)
	}
	return what
}

func describeResource(typ, verb, name string, before, after doc) string {
	k := kindWord(typ)
	switch verb {
	case "create":
		if typ == TargetProject {
			return fmt.Sprintf("created %s project %s in cloud %s", after.str("visibility"), name, after.str("cloud"))
		}
		return fmt.Sprintf("created %s %s", k, name)
	case "rename":
		return fmt.Sprintf("renamed %s %s to %s", k, before.str("name"), name)
	case "visibility":
		return fmt.Sprintf("made project %s %s", name, after.str("visibility"))
	case "delete":
		return fmt.Sprintf("deleted %s %s", k, name)
	}
	return ""
}

// grantName is a grant as people say it: "collaborator on prod-cloud to bob@example.com".
func grantName(g doc) string {
	if g == nil {
		return ""
	}
	return fmt.Sprintf("%s on %s to %s", g.str("role"), resourceName(g), principalName(g))
}

func resourceName(g doc) string {
	switch k := g.str("resourceKind"); k {
	case "organization", "":
		return "the organization"
	case "cloud":
		return g.str("resourceName")
	default:
		return k + " " + g.str("resourceName")
	}
}

func principalName(g doc) string {
	n := g.str("principalName")
	if n == "" {
		n = g.str("principalId")
	}
	switch g.str("principalType") {
	case "group":
		return "group " + n
	case "service_account":
		return "service account " + n
	}
	return n
}

// kindWord is a target type as a word ("service account", "enforce run").
func kindWord(t string) string { return strings.ReplaceAll(t, "_", " ") }

func lastPart(action string) string {
	if i := strings.LastIndexByte(action, '.'); i >= 0 {
		return action[i+1:]
	}
	return action
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// doc is a before/after document read loosely: only the fields a description needs are
// decoded (into a struct, not a map: Log describes every write, SCIM's included), and a
// missing or mistyped field reads as zero. A nil doc is an absent document.
type doc = *fields

type fields struct {
	UserName      string            `json:"userName"`
	DisplayName   string            `json:"displayName"`
	Name          string            `json:"name"`
	Scope         string            `json:"scope"`
	Cloud         string            `json:"cloud"`
	Visibility    string            `json:"visibility"`
	Role          string            `json:"role"`
	ResourceKind  string            `json:"resourceKind"`
	ResourceName  string            `json:"resourceName"`
	PrincipalType string            `json:"principalType"`
	PrincipalID   string            `json:"principalId"`
	PrincipalName string            `json:"principalName"`
	Active        *bool             `json:"active"`
	GroupsOnly    bool              `json:"groupsOnly"`
	Added         int               `json:"added"`
	Removed       int               `json:"removed"`
	Deleted       int               `json:"deletedBindings"`
	RemovedUsers  int               `json:"removedUsers"`
	RestoredB     int               `json:"restoredBindings"`
	RestoredU     int               `json:"restoredUsers"`
	SkippedB      int               `json:"skippedBindings"`
	SkippedU      int               `json:"skippedUsers"`
	Summary       string            `json:"summary"`
	BindingsAdded int               `json:"bindingsAdded"`
	BindingsGone  int               `json:"bindingsRemoved"`
	Change        *fields           `json:"change"`
	MemberChanges *fields           `json:"memberChanges"`
	Object        *fields           `json:"object"`
	Grants        []json.RawMessage `json:"grants"`
	// Exemptions, the drift schedule and its runs.
	Reason             string `json:"reason"`
	Every              string `json:"every"`
	AutoApply          bool   `json:"autoApply"`
	MaxUsersRemoved    int    `json:"maxUsersRemoved"`
	MaxBindingsDeleted int    `json:"maxBindingsDeleted"`
	MaxExemptions      int    `json:"maxExemptions"`
}

// parse reads a document; nil when there is none (absent, null, or not an object).
func parse(raw json.RawMessage) doc {
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return nil
	}
	f := &fields{}
	_ = json.Unmarshal(raw, f) // a mistyped field is skipped; the others are read
	return f
}

func (d doc) str(k string) string {
	if d == nil {
		return ""
	}
	switch k {
	case "userName":
		return d.UserName
	case "displayName":
		return d.DisplayName
	case "name":
		return d.Name
	case "scope":
		return d.Scope
	case "cloud":
		return d.Cloud
	case "visibility":
		return d.Visibility
	case "role":
		return d.Role
	case "resourceKind":
		return d.ResourceKind
	case "resourceName":
		return d.ResourceName
	case "principalType":
		return d.PrincipalType
	case "principalId":
		return d.PrincipalID
	case "principalName":
		return d.PrincipalName
	case "summary":
		return d.Summary
	case "reason":
		return d.Reason
	case "every":
		return d.Every
	}
	return ""
}

func (d doc) num(k string) int {
	if d == nil {
		return 0
	}
	switch k {
	case "added":
		return d.Added
	case "removed":
		return d.Removed
	case "deletedBindings":
		return d.Deleted
	case "removedUsers":
		return d.RemovedUsers
	case "restoredBindings":
		return d.RestoredB
	case "restoredUsers":
		return d.RestoredU
	case "skippedBindings":
		return d.SkippedB
	case "skippedUsers":
		return d.SkippedU
	case "bindingsAdded":
		return d.BindingsAdded
	case "bindingsRemoved":
		return d.BindingsGone
	case "maxUsersRemoved":
		return d.MaxUsersRemoved
	case "maxBindingsDeleted":
		return d.MaxBindingsDeleted
	case "maxExemptions":
		return d.MaxExemptions
	}
	return 0
}

func (d doc) boolean(k string) bool {
	if d == nil {
		return false
	}
	switch k {
	case "groupsOnly":
		return d.GroupsOnly
	case "autoApply":
		return d.AutoApply
	}
	return false
}

// active is a SCIM user's active, true when absent (RFC 7643 leaves it to the provider;
// rolecall stores users active unless told otherwise).
func (d doc) active() bool {
	return d == nil || d.Active == nil || *d.Active
}

func (d doc) obj(k string) doc {
	if d == nil {
		return nil
	}
	switch k {
	case "memberChanges":
		return d.MemberChanges
	case "object":
		return d.Object
	case "change":
		return d.Change
	}
	return nil
}

func (d doc) list(k string) []json.RawMessage {
	if d == nil || k != "grants" {
		return nil
	}
	return d.Grants
}
