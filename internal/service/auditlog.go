package service

import (
	"context"
	"errors"
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/store"
)

// The audit log (read-only, newest first, paged) and the org settings.

// auditTarget turns a target name into its id when targetType names a kind of object that
// exists under that name; otherwise the target is taken as an id (deleted objects have no
// live name).
func (l lookup) auditTarget(targetType, target string) (string, error) {
	var id string
	var err error
	switch targetType {
	case audit.TargetCloud, audit.TargetProject:
		var r store.Resource
		r, err = l.resource(store.ResourceKind(targetType), target)
		id = r.ID
	case audit.TargetServiceAccount:
		var sa store.ServiceAccount
		sa, err = l.serviceAccount(target)
		id = sa.ID
	case audit.TargetUser:
		var u store.User
		u, err = l.user(target)
		id = u.ID
	case audit.TargetGroup:
		var g store.Group
		g, err = l.group(target)
		id = g.ID
	default:
		return target, nil
	}
	var ae *api.Error
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return target, nil
	}
	return id, err
}

// AuditLog lists the events q selects and how many match. q.TargetID may name the target
// (a user's userName, a cloud's name, …) when q.TargetType says what it is. A JSON null
// before or after is left out.
func (s *Service) AuditLog(ctx context.Context, org string, q store.AuditQuery) (es []store.AuditEvent, total int, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		if q.TargetType != "" && q.TargetID != "" {
			if q.TargetID, err = l.auditTarget(q.TargetType, q.TargetID); err != nil {
				return err
			}
		}
		es, total, err = l.tx.ListAudit(l.ctx, l.orgID, q)
		for i := range es {
			es[i].Before, es[i].After = nullable(es[i].Before), nullable(es[i].After)
		}
		return err
	})
	return es, total, err
}

// nullable drops a JSON null so that "before"/"after" are absent rather than null.
func nullable(m []byte) []byte {
	if string(m) == "null" {
		return nil
	}
	return m
}

func settingsView(st store.OrgSettings) api.OrgSettings {
	v := api.OrgSettings{GroupsOnly: st.GroupsOnly, MaxExemptions: st.MaxExemptions}
	if !st.UpdatedAt.IsZero() {
		t := st.UpdatedAt
		v.UpdatedAt = &t
	}
	return v
}

// Settings reads the org's settings.
func (s *Service) Settings(ctx context.Context, org string) (v api.OrgSettings, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		st, err := l.tx.Settings(l.ctx, l.orgID)
		v = settingsView(st)
		return err
	})
	return v, err
}

// UpdateSettings changes the settings that req sets. A request that changes nothing
// records nothing.
func (s *Service) UpdateSettings(ctx context.Context, org string, req api.UpdateOrgSettingsRequest) (v api.OrgSettings, err error) {
	err = s.update(ctx, org, func(l lookup) error {
		st, err := l.tx.Settings(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		before := settingsView(st)
		changed := false
		if req.GroupsOnly != nil && *req.GroupsOnly != st.GroupsOnly {
			st.GroupsOnly, changed = *req.GroupsOnly, true
		}
		if m := req.MaxExemptions; m != nil && *m != st.MaxExemptions {
			if *m < 1 || *m > MaxExemptionsLimit {
				return badRequest("maxExemptions %d: use 1 to %d (break-glass exemptions stay few)", *m, MaxExemptionsLimit)
			}
			all, err := l.tx.Exemptions(l.ctx, l.orgID)
			if err != nil {
				return err
			}
			if len(all) > *m {
				return conflict("%d users are exempt now, more than %d: unexempt some first (rolecall user exemptions lists them)", len(all), *m)
			}
			st.MaxExemptions, changed = *m, true
		}
		if !changed {
			v = before
			return nil
		}
		st.OrgID, st.UpdatedAt = l.orgID, store.Now()
		if err := l.tx.PutSettings(l.ctx, st); err != nil {
			return err
		}
		v = settingsView(st)
		l.ob.Add(events.SettingsChanged, events.SettingsData{Before: events.Settings{GroupsOnly: before.GroupsOnly, MaxExemptions: before.MaxExemptions},
			After: events.Settings{GroupsOnly: v.GroupsOnly, MaxExemptions: v.MaxExemptions}})
		return l.audit(audit.ActionOrgSettingsUpdate, audit.TargetOrganization, l.orgID, before, v)
	})
	return v, err
}
