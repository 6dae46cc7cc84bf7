package scimapi

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// This file converts between stored rows (store.User, store.Group) and SCIM documents. The
// store keeps each resource's SCIM document (without id, meta, groups and members) in Doc
// and copies of the indexed attributes in columns; the columns are authoritative (an
// enforce-groups removal changes active without touching Doc), so rendering overlays them
// on the document.

func scimTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func scimMeta(resourceType string, created, modified time.Time, location string, version int64) map[string]any {
	return map[string]any{
		"resourceType": resourceType,
		"created":      scimTime(created),
		"lastModified": scimTime(modified),
		"location":     location,
		"version":      scim.ETag(version),
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

// groupOverlay is what rendering puts on g's stored document, but for members and meta:
// set's members are added or replace the stored ones, del's are removed (among them the
// members, which the store keeps apart, and the member display overrides). has says
// whether the stored document has a member.
func groupOverlay(g store.Group, has func(string) bool) (set map[string]any, del []string) {
	set = make(map[string]any, 6)
	del = []string{"members", service.MemberDisplayKey}
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
