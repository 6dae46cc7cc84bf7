package scimapi

import "github.com/rolecall/rolecall/internal/scim"

// An unassigned "active". A user whose IdP never sent active, or removed it (PATCH
// {"op":"remove","path":"active"}, or a PUT without it), has no active in its document and
// none is rendered (RFC 7644 §3.5.2.2: a removed attribute is unassigned). For access it
// counts as active: store.User.Active is true (scim.Index derives it so), as for every user
// created without active. Filters see that effective value too: the database compares the
// active column, so the in-memory part of a filter must see the same value, or
// `active eq true` would match a user in one evaluation and not in the other.

// residualMatch evaluates a filter's in-memory part on row r's rendered document, with a
// user's unassigned active read as its effective value.
func residualMatch(f *scim.Filter, r *scimRow, users bool) bool {
	if !users {
		return f.Match(r.doc)
	}
	if _, ok := r.doc["active"]; ok {
		return f.Match(r.doc)
	}
	r.doc["active"] = r.user.Active
	ok := f.Match(r.doc)
	delete(r.doc, "active")
	return ok
}
