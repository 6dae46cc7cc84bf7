package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/store"
)

// This file converts between stored rows (store.User, store.Group) and SCIM documents. The
// store keeps each resource's SCIM document (without id, meta, groups and members) in Doc
// and copies of the indexed attributes in columns; the columns are authoritative (an
// enforce-groups removal changes active without touching Doc), so rendering overlays them
// on the document.

// memberDisplayKey holds, inside a group's stored Doc, the member display names a client
// sent that differ from what rolecall would show (the member's userName or displayName).
// Entra's test suite adds a member with "displayName": "new User" and expects to read it
// back; Okta sends the userName, which needs no entry. The membership table has no column for
// it, so it lives here, bounded by maxMemberDisplays so that a group Doc stays small. It is
// internal: stripped before rendering, patching and auditing.
const memberDisplayKey = "x-rolecall-member-display"

// maxMemberDisplays bounds memberDisplayKey entries per group; beyond it the natural
// display is shown.
const maxMemberDisplays = 1000

// decodeDoc decodes a stored document (numbers as json.Number). An empty Doc is an empty
// document.
func decodeDoc(raw json.RawMessage) (map[string]any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("stored document is not a JSON object: %w", err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// storedDoc is the document kept in Doc: the normalised document without what the server
// owns (id, meta) or stores elsewhere (groups, members).
func storedDoc(doc map[string]any) (json.RawMessage, error) {
	keep := make(map[string]any, len(doc))
	for k, v := range doc {
		switch k {
		case "id", "meta", "groups", "members":
			continue
		}
		keep[k] = v
	}
	return json.Marshal(keep)
}

func scimTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func scimMeta(resourceType string, created, modified time.Time, location string, version int64) map[string]any {
	return map[string]any{
		"resourceType": resourceType,
		"created":      scimTime(created),
		"lastModified": scimTime(modified),
		"location":     location,
		"version":      etag(version),
	}
}

// scimMetaJSON is json.Marshal(scimMeta(…)), written directly: on a page of users the
// map's encoding (reflection, sorting its keys) cost as much as the rest of a user.
func scimMetaJSON(resourceType string, created, modified time.Time, location string, version int64) json.RawMessage {
	// Timestamps and the ETag need no JSON escaping but the ETag's quotes, written here.
	b := make([]byte, 0, 128+len(location))
	b = append(b, `{"created":"`...)
	b = created.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","lastModified":"`...)
	b = modified.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","location":`...)
	b = scim.AppendJSONString(b, location)
	b = append(b, `,"resourceType":`...)
	b = scim.AppendJSONString(b, resourceType)
	b = append(b, `,"version":"W/\"`...)
	b = strconv.AppendInt(b, version, 10)
	return append(b, `\""}`...)
}

// userOverlay is what rendering puts on u's stored document, but for meta (which the
// callers add in the form they write): set's members are added or replace the stored ones,
// del's are removed. has says whether the stored document has a member. groups, when
// non-nil, is the readOnly groups attribute.
func userOverlay(u store.User, has func(string) bool, base string, groups []store.Group) (set map[string]any, del []string) {
	set = make(map[string]any, 9)
	if !has("schemas") {
		set["schemas"] = []any{scim.URNUser}
	}
	set["id"] = u.ID
	set["userName"] = u.UserName
	for _, f := range [...]struct{ key, v string }{{"externalId", u.ExternalID}, {"displayName", u.DisplayName}} {
		if f.v == "" {
			del = append(del, f.key)
		} else {
			set[f.key] = f.v
		}
	}
	// An active the IdP never assigned, or removed (PATCH remove active), stays unassigned
	// (RFC 7644 §3.5.2.2) and is not rendered; for access it counts as active (u.Active).
	// An inactive user always shows active=false, whatever its document says: enforce-groups
	// deactivates users without touching their documents.
	if u.Active && !has("active") {
		del = append(del, "active")
	} else {
		set["active"] = u.Active
	}
	if !has("emails") && len(u.Emails) > 0 {
		list := make([]any, len(u.Emails))
		for i, e := range u.Emails {
			m := map[string]any{"value": e.Value}
			if e.Type != "" {
				m["type"] = e.Type
			}
			if e.Primary {
				m["primary"] = true
			}
			list[i] = m
		}
		set["emails"] = list
	}
	if len(groups) > 0 {
		list := make([]any, len(groups))
		for i, g := range groups {
			list[i] = map[string]any{
				"value":   g.ID,
				"display": g.DisplayName,
				"type":    "direct",
				"$ref":    scimLocation(base, "/Groups", g.ID),
			}
		}
		set["groups"] = list
	} else {
		del = append(del, "groups")
	}
	return set, del
}

// renderUser overlays u's columns, id and meta on doc (u's decoded Doc, modified in place)
// and, when groups is non-nil, the readOnly groups attribute.
func renderUser(u store.User, doc map[string]any, base string, groups []store.Group) map[string]any {
	set, del := userOverlay(u, func(k string) bool { _, ok := doc[k]; return ok }, base, groups)
	set["meta"] = scimMeta("User", u.Created, u.LastModified, scimLocation(base, "/Users", u.ID), u.Version)
	for _, k := range del {
		delete(doc, k)
	}
	maps.Copy(doc, set)
	return doc
}

// storedMembers splits a stored document (a user's or a group's Doc) into its members when
// it is canonical; an empty document has none.
func storedMembers(doc json.RawMessage) ([]scim.RawMember, bool) {
	if len(doc) == 0 {
		return nil, true
	}
	return scim.CanonicalMembers(doc)
}

func hasMember(ms []scim.RawMember, key string) bool {
	_, found := slices.BinarySearchFunc(ms, key, func(m scim.RawMember, k string) int { return strings.Compare(m.Key, k) })
	return found
}

// userJSON renders u as proj projects it, straight from its stored document when that is
// canonical (scim.RenderMembers); ok is false when it is not, and the caller then decodes.
func userJSON(u store.User, base string, groups []store.Group, proj *scim.Projection) (b []byte, ok bool, err error) {
	ms, ok := storedMembers(u.Doc)
	if !ok {
		return nil, false, nil
	}
	return userJSONFrom(ms, u, base, groups, proj)
}

// userJSONFrom is userJSON for a document already split by storedMembers.
func userJSONFrom(ms []scim.RawMember, u store.User, base string, groups []store.Group, proj *scim.Projection) (b []byte, ok bool, err error) {
	set, del := storedOverlay(ms, u, base, groups)
	return proj.RenderMembers(ms, set, del)
}

// storedOverlay is userOverlay for u's stored document split into ms, meta included as
// JSON.
func storedOverlay(ms []scim.RawMember, u store.User, base string, groups []store.Group) (set map[string]any, del []string) {
	set, del = userOverlay(u, func(k string) bool { return hasMember(ms, k) }, base, groups)
	set["meta"] = scimMetaJSON("User", u.Created, u.LastModified, scimLocation(base, "/Users", u.ID), u.Version)
	return set, del
}

// userFromDoc builds the row of a normalised User document: the indexed columns and Doc.
func userFromDoc(orgID string, doc map[string]any) (store.User, error) {
	ix := scim.IndexedFields(doc)
	u := store.User{OrgID: orgID, UserName: ix.UserName, ExternalID: ix.ExternalID, DisplayName: ix.DisplayName, Active: ix.Active}
	if list, ok := doc["emails"].([]any); ok {
		for _, e := range list {
			m, _ := e.(map[string]any)
			v, _ := m["value"].(string)
			if v == "" {
				continue
			}
			t, _ := m["type"].(string)
			p, _ := m["primary"].(bool)
			u.Emails = append(u.Emails, store.Email{Value: v, Type: t, Primary: p})
		}
	}
	raw, err := storedDoc(doc)
	if err != nil {
		return store.User{}, err
	}
	u.Doc = raw
	return u, nil
}

// groupOverlay is what rendering puts on g's stored document, but for members and meta:
// set's members are added or replace the stored ones, del's are removed (among them the
// members, which the store keeps apart, and the member display overrides). has says
// whether the stored document has a member.
func groupOverlay(g store.Group, has func(string) bool) (set map[string]any, del []string) {
	set = make(map[string]any, 6)
	del = []string{"members", memberDisplayKey}
	if !has("schemas") {
		set["schemas"] = []any{scim.URNGroup}
	}
	set["id"] = g.ID
	set["displayName"] = g.DisplayName
	if g.ExternalID != "" {
		set["externalId"] = g.ExternalID
	} else {
		del = append(del, "externalId")
	}
	return set, del
}

// renderGroup overlays g's columns, id and meta on doc (g's decoded Doc without the display
// overrides, modified in place) and, when members is non-nil, the members attribute.
func renderGroup(g store.Group, doc map[string]any, base string, members []store.Member, displays map[string]string) map[string]any {
	set, del := groupOverlay(g, func(k string) bool { _, ok := doc[k]; return ok })
	for _, k := range del {
		delete(doc, k)
	}
	maps.Copy(doc, set)
	if members != nil {
		doc["members"] = memberList(base, members, displays)
	}
	doc["meta"] = scimMeta("Group", g.Created, g.LastModified, scimLocation(base, "/Groups", g.ID), g.Version)
	return doc
}

// groupJSON renders g without its members, as proj projects it, straight from its stored
// document when that is canonical (scim.RenderMembers); ok is false when it is not, or the
// answer shows members (their displays are in the document), and the caller then decodes.
// IdPs look groups up with excludedAttributes=members, and a group's document can hold a
// thousand member displays that this never decodes.
func groupJSON(g store.Group, base string, proj *scim.Projection) (b []byte, ok bool, err error) {
	if proj.Needs("members") {
		return nil, false, nil
	}
	ms, ok := storedMembers(g.Doc)
	if !ok {
		return nil, false, nil
	}
	set, del := groupOverlay(g, func(k string) bool { return hasMember(ms, k) })
	set["meta"] = scimMetaJSON("Group", g.Created, g.LastModified, scimLocation(base, "/Groups", g.ID), g.Version)
	return proj.RenderMembers(ms, set, del)
}

// memberList renders group members: value, display (the client's when it sent a different
// one, else the member's userName or displayName), type and $ref.
func memberList(base string, members []store.Member, displays map[string]string) []any {
	list := make([]any, len(members))
	for i, m := range members {
		typ, ep := "User", "/Users"
		if m.Type == store.MemberGroup {
			typ, ep = "Group", "/Groups"
		}
		display := m.Display
		if d, ok := displays[m.ID]; ok {
			display = d
		}
		e := map[string]any{"value": m.ID, "type": typ, "$ref": scimLocation(base, ep, m.ID)}
		if display != "" {
			e["display"] = display
		}
		list[i] = e
	}
	return list
}

// takeDisplays removes the member display overrides from a decoded group Doc.
func takeDisplays(doc map[string]any) map[string]string {
	raw, ok := doc[memberDisplayKey].(map[string]any)
	delete(doc, memberDisplayKey)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// groupStoredDoc is the Doc of a group: the document plus the display overrides.
func groupStoredDoc(doc map[string]any, displays map[string]string) (json.RawMessage, error) {
	if len(displays) == 0 {
		return storedDoc(doc)
	}
	m := make(map[string]any, len(displays))
	for k, v := range displays {
		m[k] = v
	}
	doc[memberDisplayKey] = m
	defer delete(doc, memberDisplayKey)
	return storedDoc(doc)
}

// loadGroupDoc decodes a group's Doc and splits off its display overrides.
func loadGroupDoc(g store.Group) (map[string]any, map[string]string, error) {
	doc, err := decodeDoc(g.Doc)
	if err != nil {
		return nil, nil, err
	}
	return doc, takeDisplays(doc), nil
}

// auditDoc is the SCIM representation recorded in the audit log: the resource without the
// member list (a group can have 100,000 members; memberChanges records what changed).
func auditDoc(doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k == "members" || k == "groups" {
			continue
		}
		out[k] = v
	}
	return out
}

// maxAuditIDs bounds the member ids listed in an audit event.
const maxAuditIDs = 100

// memberChanges summarises the membership changes of one request for the audit log: the
// counts the store reported, and the ids the request named (to add, or the new member set
// of a replace; to remove), truncated at maxAuditIDs.
type memberChanges struct {
	Added      int      `json:"added"`
	Removed    int      `json:"removed"`
	RemovedAll bool     `json:"removedAll,omitempty"`
	AddedIDs   []string `json:"addedIds,omitempty"`
	RemovedIDs []string `json:"removedIds,omitempty"`
	// IgnoredIDs are member ids sent that are not users or groups of the org.
	IgnoredIDs []string `json:"ignoredIds,omitempty"`
	// ReinstatedIDs are users that enforce-groups had removed and that this change brought
	// back by adding them to a group.
	ReinstatedIDs  []string `json:"reinstatedIds,omitempty"`
	IDsRequested   int      `json:"idsRequested"`
	IDsTruncatedAt int      `json:"idsTruncatedAt,omitempty"`
}

func (c *memberChanges) note(list *[]string, ids []string) {
	c.IDsRequested += len(ids)
	for _, id := range ids {
		if len(*list) >= maxAuditIDs {
			c.IDsTruncatedAt = maxAuditIDs
			return
		}
		*list = append(*list, id)
	}
}

// reinstate brings back the users among ids that enforce-groups removed, once the change
// added members (DESIGN.md: the IdP brings a removed user back by PATCH active=true or by a
// group add — to the IdP the user is assigned). Nothing is read when nothing was added.
func (c *memberChanges) reinstate(ctx context.Context, tx store.Tx, org string, ids []string, added int) error {
	if added == 0 {
		return nil
	}
	back, err := tx.ReinstateUsers(ctx, org, ids)
	if len(c.ReinstatedIDs) < maxAuditIDs {
		c.ReinstatedIDs = append(c.ReinstatedIDs, back[:min(len(back), maxAuditIDs-len(c.ReinstatedIDs))]...)
	}
	return err
}

func (c *memberChanges) changed() bool { return c.Added > 0 || c.Removed > 0 }

// groupAudit is the "after" of a group audit event.
func groupAudit(doc map[string]any, mc *memberChanges) map[string]any {
	out := auditDoc(doc)
	if mc != nil {
		out["memberChanges"] = mc
	}
	return out
}

// storeDetail is a store error's message without the sentinel's prefix ("not found: …"),
// for SCIM details.
func storeDetail(err error) string {
	msg := err.Error()
	for _, e := range []error{store.ErrNotFound, store.ErrInvalid, store.ErrConflict, store.ErrVersionMismatch} {
		if errors.Is(err, e) {
			msg = strings.TrimPrefix(msg, e.Error()+": ")
		}
	}
	return msg
}
