package service

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
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
	case audit.TargetToken:
		var t store.Token
		t, err = auth.FindToken(l.ctx, l.tx, l.orgID, target)
		if errors.Is(err, store.ErrNotFound) {
			return target, nil
		}
		id = t.ID
	default:
		return target, nil
	}
	var ae *api.Error
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return target, nil
	}
	return id, err
}

// principalTypes are the target types that grants are given to: a search for one of them
// also finds the grants to and from it (recorded as the event's subject).
var principalTypes = map[string]bool{audit.TargetUser: true, audit.TargetGroup: true, audit.TargetServiceAccount: true}

// auditAbout is what a target search matches. With a type, the object of that type the
// target names (id or name; taken as given when no such object lives any more, e.g. a
// deleted group's id or name). Without, every live object of any kind the target names, and
// the target itself as an id or a recorded name: a plain "alice@example.com", "engineering",
// "prod-cloud" or "okta-scim" finds the events about it and, for a principal, the grants to
// and from it.
func (l lookup) auditAbout(targetType, target string) ([]string, error) {
	if targetType != "" {
		id, err := l.auditTarget(targetType, target)
		if err != nil {
			return nil, err
		}
		return uniq([]string{id, target}), nil
	}
	about := []string{target}
	for _, t := range []string{audit.TargetUser, audit.TargetGroup, audit.TargetServiceAccount, audit.TargetCloud, audit.TargetProject, audit.TargetToken} {
		id, err := l.auditTarget(t, target)
		if err != nil {
			return nil, err
		}
		about = append(about, id)
	}
	return uniq(about), nil
}

func uniq(ss []string) []string {
	out := ss[:0]
	seen := map[string]bool{}
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// AuditActions reads an action filter: one action, or a comma-separated list of actions
// and prefixes. A prefix ends with "." or "*" ("enforce." and "enforce.*" both mean every
// enforce event; "scim.user*" every SCIM user event).
func AuditActions(v string) []string {
	var out []string
	for _, a := range strings.Split(v, ",") {
		a = strings.ToLower(strings.TrimSpace(a))
		if p, ok := strings.CutSuffix(a, "*"); ok {
			a = strings.TrimSuffix(p, ".") + "."
		}
		if a != "" && a != "." {
			out = append(out, a)
		}
	}
	return out
}

// AuditLog lists the events q selects and how many match, each with its target's name and
// a summary (events written before those were recorded are described from their documents).
//
// q.Action is read by AuditActions (a list, prefixes). q.TargetID is an id or a name:
// with q.TargetType a user, group or service account, the events about that principal and
// the grants to and from it; with another type, the events about that object; without a
// type, the events about anything the target names (auditAbout). A JSON null before or
// after is left out.
func (s *Service) AuditLog(ctx context.Context, org string, q store.AuditQuery) (es []store.AuditEvent, total int, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		if a := q.Action; a != "" {
			q.Actions, q.Action = append(q.Actions, AuditActions(a)...), ""
			if len(q.Actions) == 0 {
				return badRequest("action filter %q names no action: give an action (grant.create), a prefix (enforce.) or a comma-separated list", a)
			}
		}
		if q.TargetID != "" {
			switch {
			case q.TargetType == "" || principalTypes[q.TargetType]:
				if q.About, err = l.auditAbout(q.TargetType, q.TargetID); err != nil {
					return err
				}
				q.TargetType, q.TargetID = "", ""
			default:
				if q.TargetID, err = l.auditTarget(q.TargetType, q.TargetID); err != nil {
					return err
				}
			}
		}
		es, total, err = l.tx.ListAudit(l.ctx, l.orgID, q)
		for i := range es {
			audit.Describe(&es[i]) // events written before summaries were recorded
			es[i].Before, es[i].After = nullable(es[i].Before), nullable(es[i].After)
		}
		return err
	})
	return es, total, err
}

// AuditEventView is the wire form of an event AuditLog returned: with its target as people
// read it (audit.Label) and its summary.
func AuditEventView(e store.AuditEvent) api.AuditEvent {
	return api.AuditEvent{Seq: e.Seq, Time: e.Time, Actor: e.Actor, Action: e.Action, TargetType: e.TargetType,
		TargetID: e.TargetID, TargetName: e.TargetName, Target: audit.Label(e), Summary: e.Summary,
		SubjectType: e.SubjectType, SubjectID: e.SubjectID, SubjectName: e.SubjectName,
		Before: e.Before, After: e.After, RequestID: e.RequestID}
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
