package service

import (
	"context"
	"errors"
	"regexp"
	"slices"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/decision"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/store"
)

// Custom decision actions: an org names its platform's operations ("deploy", "view-logs")
// and the minimum role each needs per kind of resource; the decision API then answers
// them like the built-in read/write/delete/manage.

// actionName is what an action name may look like: an identifier a platform sends in every
// request, so no spaces and nothing a URL path would need escaped.
var actionName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)

// SetCustomAction creates or replaces a custom action; created says which.
func (s *Service) SetCustomAction(ctx context.Context, org string, a api.CustomAction) (v api.CustomAction, created bool, err error) {
	ca, err := validateCustomAction(a)
	if err != nil {
		return v, false, err
	}
	err = s.update(ctx, org, func(l lookup) error {
		before, err := l.tx.CustomActions(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		ca.OrgID, ca.UpdatedAt = l.orgID, store.Now()
		if created, err = l.tx.PutCustomAction(l.ctx, ca); err != nil {
			return err
		}
		v = customActionView(ca)
		var old any
		if i := slices.IndexFunc(before, func(b store.CustomAction) bool { return b.Name == ca.Name }); i >= 0 {
			old = customActionView(before[i])
		}
		if err := l.actionsChanged(ca.Name); err != nil {
			return err
		}
		return l.audit(audit.ActionCustomActionSet, audit.TargetCustomAction, ca.Name, old, v)
	})
	return v, created, err
}

// DeleteCustomAction deletes a custom action: asking for it is then a deny (unknown action).
func (s *Service) DeleteCustomAction(ctx context.Context, org, name string) (v api.CustomAction, err error) {
	err = s.update(ctx, org, func(l lookup) error {
		all, err := l.tx.CustomActions(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(all, func(b store.CustomAction) bool { return b.Name == name })
		if i < 0 {
			return notFoundf("no custom action %q in this organization; list them with `rolecall action list`", name)
		}
		v = customActionView(all[i])
		if err := l.tx.DeleteCustomAction(l.ctx, l.orgID, name); err != nil {
			return err
		}
		if err := l.actionsChanged(name); err != nil {
			return err
		}
		return l.audit(audit.ActionCustomActionDelete, audit.TargetCustomAction, name, v, nil)
	})
	return v, err
}

// CustomActions lists the org's custom actions by name.
func (s *Service) CustomActions(ctx context.Context, org string) (out []api.CustomAction, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		all, err := l.tx.CustomActions(l.ctx, l.orgID)
		out = make([]api.CustomAction, 0, len(all))
		for _, a := range all {
			out = append(out, customActionView(a))
		}
		return err
	})
	return out, err
}

// actionsChanged emits actions.changed with the org's whole new set.
func (l lookup) actionsChanged(changed string) error {
	all, err := l.tx.CustomActions(l.ctx, l.orgID)
	if err != nil {
		return err
	}
	d := events.ActionsData{Changed: changed, Actions: make([]events.ActionRef, 0, len(all))}
	for _, a := range all {
		d.Actions = append(d.Actions, events.ActionRef{Name: a.Name, Organization: a.Organization, Cloud: a.Cloud, Project: a.Project})
	}
	l.ob.Add(events.ActionsChanged, d)
	return nil
}

// LoadCustomActions reads the org's custom actions as the decision index takes them. Call
// it in the transaction that LoadState reads in.
func LoadCustomActions(ctx context.Context, tx store.Tx, orgID string) ([]decision.CustomAction, error) {
	all, err := tx.CustomActions(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]decision.CustomAction, 0, len(all))
	for _, a := range all {
		ca, err := DecisionAction(a.Name, a.Organization, a.Cloud, a.Project)
		if err != nil {
			return nil, err
		}
		out = append(out, ca)
	}
	return out, nil
}

// DecisionAction converts a stored or event form of a custom action to the index's.
func DecisionAction(name, org, cloud, project string) (decision.CustomAction, error) {
	ca := decision.CustomAction{Name: name}
	var errs []error
	for _, f := range []struct {
		k    access.Kind
		role string
		to   *access.Role
	}{{access.KindOrganization, org, &ca.Organization}, {access.KindCloud, cloud, &ca.Cloud}, {access.KindProject, project, &ca.Project}} {
		if f.role == "" {
			continue
		}
		r, err := access.ParseRoleOn(f.k, f.role)
		if err != nil {
			errs = append(errs, err)
		}
		*f.to = r
	}
	return ca, errors.Join(errs...)
}

func validateCustomAction(a api.CustomAction) (store.CustomAction, error) {
	if !actionName.MatchString(a.Name) {
		return store.CustomAction{}, badRequest("action name %q: use 1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit", a.Name)
	}
	if slices.Contains(decision.BuiltinActions(), a.Name) {
		return store.CustomAction{}, badRequest("%q is a built-in action (%v); choose another name", a.Name, decision.BuiltinActions())
	}
	if a.Organization == "" && a.Cloud == "" && a.Project == "" {
		return store.CustomAction{}, badRequest("action %q: give the minimum role on at least one kind of resource (--org, --cloud or --project)", a.Name)
	}
	ca, err := DecisionAction(a.Name, a.Organization, a.Cloud, a.Project)
	if err != nil {
		return store.CustomAction{}, badRequest("action %q: %v", a.Name, err)
	}
	if ca.Organization == access.RoleReadonly {
		// The organization has no readonly role (DESIGN: organization roles are owner and
		// collaborator), so nobody could ever be allowed.
		return store.CustomAction{}, badRequest("action %q: the organization has no readonly role; use collaborator or owner", a.Name)
	}
	// Stored by canonical name ("write" on a project is collaborator).
	name := func(r access.Role) string {
		if r == access.RoleNone {
			return ""
		}
		return r.String()
	}
	return store.CustomAction{Name: a.Name, Organization: name(ca.Organization), Cloud: name(ca.Cloud), Project: name(ca.Project)}, nil
}

func customActionView(a store.CustomAction) api.CustomAction {
	return api.CustomAction{Name: a.Name, Organization: a.Organization, Cloud: a.Cloud, Project: a.Project}
}
