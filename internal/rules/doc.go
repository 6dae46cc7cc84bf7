// Package rules owns group → role rules: an organization's ordered list of rules that bind
// roles to IdP groups automatically, matched by exact displayName, exact externalId or a
// regular expression whose named captures pick the resource and the role. It validates rules
// with errors a person can act on, evaluates a rule set over the org's groups and resources
// into the bindings the rules want (each owned by the first rule, by position, that makes it),
// diffs those against the rule-made bindings that exist, and previews a rule change: which
// groups each rule matches, which bindings appear or go, and what every user gains or loses.
//
// The package is pure: no I/O, no storage, no HTTP. It imports only the standard library and
// the packages access (roles, kinds, the State and its Index) and enforce (whose per-user
// change types the preview reuses, so that both previews share one JSON shape and one text
// format). Storage, the service layer, the admin API, the CLI and the console build on it;
// cli/enforcetext renders a Preview as text.
//
// # Semantics
//
//   - A rule's resource and role are each fixed or captured; the resource kind is always
//     known from the rule alone (fixed, or the capture's name), so fixed roles are checked
//     when the rule is written. Captured names are checked per group, and a group whose
//     captured project does not exist, or whose captured role is not valid there, is a
//     Problem in the result: nothing is created, nothing is bound, the rest goes on.
//   - Rules match inactive groups too. Their bindings are kept, as manual grants are, and
//     grant nothing while the group is inactive. A group the caller leaves out of the input
//     (the service's State omits deleted groups) is matched by nothing and its rule-made
//     bindings are left exactly as they are.
//   - A binding is identified by (group, resource, role), as the store's unique index does.
//     Two rules making the same one: the first by position (then ID) owns it. A rule making
//     one that a manual grant already holds: it stays manual (Changes.Covered), so deleting
//     the rule never deletes a manual grant.
//   - Deleting every rule and reconciling restores the bindings exactly (property-tested).
//
// # Integration
//
// (Implemented by service/rules.go, the admin API's /api/v1/rules, `rolecall rule` and the
// console's Group rules page; docs/rules.md describes it for users.)
//
// Rule add, change, delete or reorder (admin API, CLI, console): read, in one transaction,
// an Input (the access State, the groups with their externalIds, the rule-made bindings with
// their rule, the stored rules and the proposed ones) and show NewPreview. To apply, recompute
// the preview in the write transaction and refuse if its Fingerprint differs from the one
// shown; then store the new rule set and apply Preview.Changes: delete Remove by ID, create
// Add marked with their RuleID, set the rule of Reassign. Keep Changes (Add with the IDs they
// got) and the old rule set as the restore point: Changes.Inverse undoes the bindings.
//
// SCIM group create, rename or externalId change: in the same transaction as the SCIM
// write, Set.Reconcile with just that group (Compile the org's rules once per revision and
// keep the Set) and apply the Changes. Creating or renaming a cloud or project:
// ReconcileResources over every group on NamedLike(its new and old name), so that rules
// naming it start (or stop) to bind there; a new or renamed resource changes no binding
// elsewhere. Group deactivation changes nothing.
//
// Storage needs a rule ID on bindings (empty for manual ones). Because a (resource, group,
// role) binding exists once, a manual grant of a binding a rule made, and a manual revoke of
// one, should be refused with a message naming the rule ("bound by rule R; change the rule"):
// otherwise the next reconcile would undo the revoke, or a rule delete would take a grant
// someone made by hand.
package rules
