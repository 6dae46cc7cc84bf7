package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/store"
)

// This file resolves the ids-or-names the admin API and the console address objects by to
// stored objects, always inside the caller's org, and builds their client errors (admin API
// errors, which both show as they are).

// view runs fn in a read transaction of org.
func (s *Service) view(ctx context.Context, org string, fn func(l lookup) error) error {
	return s.store.View(ctx, func(tx store.Tx) error { return fn(lookup{ctx: ctx, tx: tx, orgID: org}) })
}

// update runs fn in a write transaction of org; fn makes the change, writes its one audit
// event (l.audit) and adds its change events to l.ob, appended last (s.write), or returns an
// error and nothing it wrote is kept.
func (s *Service) update(ctx context.Context, org string, fn func(l lookup) error) error {
	return s.write(ctx, org, func(tx store.Tx, ob *Outbox) error {
		return fn(lookup{ctx: ctx, tx: tx, orgID: org, ob: ob})
	})
}

// audit records the one event of a change in the same transaction.
func (l lookup) audit(action, targetType, targetID string, before, after any) error {
	return audit.Log(l.ctx, l.tx, l.orgID, action, targetType, targetID, before, after)
}

func badRequest(format string, args ...any) *api.Error {
	return &api.Error{Status: http.StatusBadRequest, Code: api.CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *api.Error {
	return &api.Error{Status: http.StatusConflict, Code: api.CodeConflict, Message: fmt.Sprintf(format, args...)}
}

// listHint tells how to list the objects of a kind, for not-found messages.
var listHint = map[string]string{
	api.KindCloud:               "rolecall cloud list",
	api.KindProject:             "rolecall project list",
	api.PrincipalUser:           "rolecall user list",
	api.PrincipalGroup:          "rolecall group list",
	api.PrincipalServiceAccount: "rolecall service-account list",
}

func noSuch(what, ref string) error {
	msg := fmt.Sprintf("no %s %q in this organization", strings.ReplaceAll(what, "_", " "), ref)
	if h := listHint[what]; h != "" {
		msg += " (list them with `" + h + "`)"
	}
	if what == api.PrincipalUser || what == api.PrincipalGroup {
		msg += ". " + SCIMOrigin + " " + scimCheck(what, ref)
	}
	return notFoundf("%s", msg)
}

// SCIMOrigin is the sentence that a not-found user or group message adds: the newcomer who
// looks for a way to create one in rolecall learns where they come from. The console cuts
// the message after it and names its own pages instead of the CLI commands that follow.
const SCIMOrigin = "Users and groups are not created in rolecall: they arrive from your identity provider over SCIM (/scim/v2)."

// shellWord quotes s for a command line when it holds anything but plain name characters.
func shellWord(s string) string {
	for _, r := range s {
		if !(r == '@' || r == '.' || r == '-' || r == '_' || r == '+' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// scimCheck says how to check what the identity provider sent about ref, and what to do
// without one.
func scimCheck(what, ref string) string {
	prefix := ref
	if at := strings.IndexByte(prefix, '@'); at > 0 {
		prefix = prefix[:at]
	}
	if r := []rune(prefix); len(r) > 3 {
		prefix = string(r[:3])
	}
	return fmt.Sprintf("To check what it sent: `rolecall %s list --prefix %s`, and `rolecall audit list --target %s` or `--action scim.%s.` for what it created, changed or deleted. "+
		"No identity provider yet? `rolecall seed example` loads example users and groups, or send what it would (README, First steps)",
		what, shellWord(prefix), shellWord(ref), what)
}

// lookup resolves ids-or-names inside one org and one transaction.
type lookup struct {
	ctx   context.Context
	tx    store.Tx
	orgID string
	// ob collects the change events of a write (nil in a read).
	ob *Outbox
}

// resource finds a cloud or project by id, then by name; for the organization, ref may be
// empty, the org resource's id or the org's name.
func (l lookup) resource(kind store.ResourceKind, ref string) (store.Resource, error) {
	if kind == store.KindOrganization {
		r, err := l.tx.OrgResource(l.ctx, l.orgID)
		if err != nil || ref == "" || ref == r.ID || strings.EqualFold(ref, r.Name) {
			return r, err
		}
		return store.Resource{}, notFoundf("%q is not this organization (%s); the organization needs no name", ref, r.Name)
	}
	if ref == "" {
		return store.Resource{}, badRequest("name the %s (id or name)", kind)
	}
	r, err := l.tx.Resource(l.ctx, l.orgID, ref)
	if err == nil && r.Kind == kind {
		return r, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return r, err
	}
	r, err = l.tx.ResourceByName(l.ctx, l.orgID, kind, ref)
	if errors.Is(err, store.ErrNotFound) {
		return r, noSuch(string(kind), ref)
	}
	return r, err
}

// user finds a user by id, then by userName.
func (l lookup) user(ref string) (store.User, error) {
	u, err := l.tx.User(l.ctx, l.orgID, ref)
	if errors.Is(err, store.ErrNotFound) {
		u, err = l.tx.UserByUserName(l.ctx, l.orgID, ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return u, noSuch(api.PrincipalUser, ref)
	}
	return u, err
}

// group finds a (non-deleted) group by id, then by displayName.
func (l lookup) group(ref string) (store.Group, error) {
	g, err := l.tx.Group(l.ctx, l.orgID, ref)
	if errors.Is(err, store.ErrNotFound) {
		g, err = l.tx.GroupByName(l.ctx, l.orgID, ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return g, noSuch(api.PrincipalGroup, ref)
	}
	return g, err
}

// serviceAccount finds a service account by id, then by name.
func (l lookup) serviceAccount(ref string) (store.ServiceAccount, error) {
	sa, err := l.tx.ServiceAccount(l.ctx, l.orgID, ref)
	if errors.Is(err, store.ErrNotFound) {
		sa, err = l.tx.ServiceAccountByName(l.ctx, l.orgID, ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return sa, noSuch(api.PrincipalServiceAccount, ref)
	}
	return sa, err
}

// grantee is a resolved principal of a grant.
type grantee struct {
	Type store.PrincipalType
	ID   string
	Name string
	// Holds is false for an inactive or removed user and an inactive group.
	Holds bool
}

// grantee finds a user, group or service account by id or name.
func (l lookup) grantee(pt store.PrincipalType, ref string) (grantee, error) {
	if ref == "" {
		return grantee{}, badRequest("name the %s (id or name)", strings.ReplaceAll(string(pt), "_", " "))
	}
	switch pt {
	case store.PrincipalUser:
		u, err := l.user(ref)
		return grantee{Type: pt, ID: u.ID, Name: u.UserName, Holds: u.Active && !u.Removed}, err
	case store.PrincipalGroup:
		g, err := l.group(ref)
		return grantee{Type: pt, ID: g.ID, Name: g.DisplayName, Holds: g.Active}, err
	case store.PrincipalServiceAccount:
		sa, err := l.serviceAccount(ref)
		return grantee{Type: pt, ID: sa.ID, Name: sa.Name, Holds: true}, err
	}
	return grantee{}, badRequest("principal type %q: use user, group or service_account", pt)
}

// ParseResourceKind parses a wire resource kind.
func ParseResourceKind(s string) (store.ResourceKind, error) {
	switch k := store.ResourceKind(s); k {
	case store.KindOrganization, store.KindCloud, store.KindProject:
		return k, nil
	}
	if s == "" {
		return "", badRequest("resourceKind is required: organization, cloud or project")
	}
	return "", badRequest("resource kind %q: use organization, cloud or project", s)
}

// ParsePrincipalType parses a wire principal type.
func ParsePrincipalType(s string) (store.PrincipalType, error) {
	switch t := store.PrincipalType(s); t {
	case store.PrincipalUser, store.PrincipalGroup, store.PrincipalServiceAccount:
		return t, nil
	}
	if s == "" {
		return "", badRequest("principalType is required: user, group or service_account")
	}
	return "", badRequest("principal type %q: use user, group or service_account", s)
}

func notFoundf(format string, args ...any) error {
	return &api.Error{Status: http.StatusNotFound, Code: api.CodeNotFound, Message: fmt.Sprintf(format, args...)}
}
