package service

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/store"
)

// This file is how provisioned SCIM documents are kept: the store keeps each resource's
// SCIM document (without id, meta, groups and members) in Doc and copies of the indexed
// attributes in columns; the columns are authoritative (an enforce-groups removal changes
// active without touching Doc), so rendering (the SCIM handler's) overlays them on it.

// MemberDisplayKey holds, inside a group's stored Doc, the member display names a client
// sent that differ from what rolecall would show (the member's userName or displayName).
// Entra's test suite adds a member with "displayName": "new User" and expects to read it
// back; Okta sends the userName, which needs no entry. The membership table has no column for
// it, so it lives here, bounded by MaxMemberDisplays so that a group Doc stays small. It is
// internal: stripped before rendering, patching and auditing.
const MemberDisplayKey = "x-rolecall-member-display"

// MaxMemberDisplays bounds MemberDisplayKey entries per group; beyond it the natural
// display is shown.
const MaxMemberDisplays = 1000

// DecodeDoc decodes a stored document (numbers as json.Number). An empty Doc is an empty
// document.
func DecodeDoc(raw json.RawMessage) (map[string]any, error) {
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

// UserFromDoc builds the row of a normalised User document: the indexed columns and Doc.
func UserFromDoc(orgID string, doc map[string]any) (store.User, error) {
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

// takeDisplays removes the member display overrides from a decoded group Doc.
func takeDisplays(doc map[string]any) map[string]string {
	raw, ok := doc[MemberDisplayKey].(map[string]any)
	delete(doc, MemberDisplayKey)
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

// GroupStoredDoc is the Doc of a group: the document plus the display overrides.
func GroupStoredDoc(doc map[string]any, displays map[string]string) (json.RawMessage, error) {
	if len(displays) == 0 {
		return storedDoc(doc)
	}
	m := make(map[string]any, len(displays))
	for k, v := range displays {
		m[k] = v
	}
	doc[MemberDisplayKey] = m
	defer delete(doc, MemberDisplayKey)
	return storedDoc(doc)
}

// LoadGroupDoc decodes a group's Doc and splits off its display overrides.
func LoadGroupDoc(g store.Group) (map[string]any, map[string]string, error) {
	doc, err := DecodeDoc(g.Doc)
	if err != nil {
		return nil, nil, err
	}
	return doc, takeDisplays(doc), nil
}

// AuditDoc is the SCIM representation recorded in the audit log: the resource without the
// member list (a group can have 100,000 members; MemberChanges records what changed).
func AuditDoc(doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k == "members" || k == "groups" {
			continue
		}
		out[k] = v
	}
	return out
}

// groupAudit is the "after" of a group audit event.
func groupAudit(doc map[string]any, mc *MemberChanges) map[string]any {
	out := AuditDoc(doc)
	if mc != nil {
		out["memberChanges"] = mc
	}
	return out
}

// StoreDetail is a store error's message without the sentinel's prefix ("not found: …"),
// for SCIM details.
func StoreDetail(err error) string {
	msg := err.Error()
	for _, e := range []error{store.ErrNotFound, store.ErrInvalid, store.ErrConflict, store.ErrVersionMismatch} {
		if errors.Is(err, e) {
			msg = strings.TrimPrefix(msg, e.Error()+": ")
		}
	}
	return msg
}

// NotFound is the SCIM 404 of a single resource of rt.
func NotFound(rt *scim.ResourceType, id string) *scim.Error {
	return scim.ErrNotFound("%s %q not found: it does not exist in this organization or was deleted", rt.Name, id)
}

// asNotFound turns the store's not-found for the addressed resource into the SCIM 404.
func asNotFound(err error, rt *scim.ResourceType, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return NotFound(rt, id)
	}
	return err
}

// ifMatch checks an If-Match value h (the header, or a Bulk operation's version) against
// the version just read, and returns the version to make the write conditional on (0 when
// the client sent none). The store repeats the comparison atomically in the same
// transaction.
func ifMatch(h string, current int64) (expect int64, err error) {
	if strings.TrimSpace(h) == "" {
		return 0, nil
	}
	if !scim.ETagMatch(h, current) {
		return 0, scim.ErrStatus(http.StatusPreconditionFailed,
			"the resource was changed by someone else: If-Match %s does not match its current version %s; GET it again and retry with If-Match: %s",
			h, scim.ETag(current), scim.ETag(current))
	}
	return current, nil
}
