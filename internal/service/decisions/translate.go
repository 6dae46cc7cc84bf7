package decisions

import (
	"encoding/json"
	"fmt"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/decision"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// errUntranslatable: an event the index cannot apply by itself (an unknown type, a payload
// it cannot read). The cache rebuilds the org's index from the store instead: slower, never
// wrong.
type errUntranslatable struct {
	seq int64
	typ string
	why string
}

func (e *errUntranslatable) Error() string {
	return fmt.Sprintf("event %d (%s): %s", e.seq, e.typ, e.why)
}

// ignored are the event types that change nothing a decision reads: tokens, settings
// (groups-only mode restricts new grants, not reads), drift reports and the run summaries
// of enforce-groups (a run spells out its effects as user.* and grant.* events of its own).
var ignored = map[events.Type]bool{
	events.TokenCreated: true, events.TokenRevoked: true,
	events.SettingsChanged: true, events.DriftReported: true,
	events.EnforceApplied: true, events.EnforceUndone: true, events.EnforceScheduled: true,
}

// translate turns committed events into index changes. It relies on the feed's promise that
// cascades are spelled out (deleting a user first revokes its grants and memberships), so
// every event maps to at most one change.
func translate(evs []store.Event) ([]decision.Change, error) {
	out := make([]decision.Change, 0, len(evs))
	for _, ev := range evs {
		c, err := translateOne(ev)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

func translateOne(ev store.Event) (decision.Change, error) {
	t := events.Type(ev.Type)
	if ignored[t] {
		return nil, nil
	}
	bad := func(format string, args ...any) error {
		return &errUntranslatable{seq: ev.Seq, typ: ev.Type, why: fmt.Sprintf(format, args...)}
	}
	decode := func(v any) error {
		if err := json.Unmarshal(ev.Data, v); err != nil {
			return bad("payload: %v", err)
		}
		return nil
	}
	switch t {
	case events.UserCreated, events.UserUpdated, events.UserDeactivated, events.UserReactivated, events.UserRemoved:
		var d events.UserData
		if err := decode(&d); err != nil {
			return nil, err
		}
		return decision.UserUpserted{ID: d.User.ID, UserName: d.User.UserName, Active: d.User.Active, Removed: d.User.Removed}, nil
	case events.UserDeleted:
		var d events.UserData
		if err := decode(&d); err != nil {
			return nil, err
		}
		return decision.UserDeleted{ID: d.User.ID}, nil
	case events.GroupCreated, events.GroupRenamed, events.GroupDeactivated:
		var d events.GroupData
		if err := decode(&d); err != nil {
			return nil, err
		}
		return decision.GroupUpserted{ID: d.Group.ID, DisplayName: d.Group.DisplayName, Active: d.Group.Active}, nil
	case events.GroupDeleted:
		// A soft delete: the store keeps the record, LoadState leaves it out. Either way it
		// grants nothing and passes no membership on.
		var d events.GroupData
		if err := decode(&d); err != nil {
			return nil, err
		}
		return decision.GroupUpserted{ID: d.Group.ID, DisplayName: d.Group.DisplayName, Active: false}, nil
	case events.MembershipAdded, events.MembershipRemoved:
		var d events.MembershipData
		if err := decode(&d); err != nil {
			return nil, err
		}
		m := access.Membership{GroupID: d.Group.ID, MemberID: d.Member.ID}
		switch d.Member.Type {
		case "user":
			m.MemberType = access.PrincipalUser
		case "group":
			m.MemberType = access.PrincipalGroup
		default:
			return nil, bad("member type %q", d.Member.Type)
		}
		if t == events.MembershipAdded {
			return decision.MembershipAdded(m), nil
		}
		return decision.MembershipRemoved(m), nil
	case events.GrantCreated:
		var d events.GrantData
		if err := decode(&d); err != nil {
			return nil, err
		}
		pt, err := principalType(d.Principal.Type)
		if err != nil {
			return nil, bad("%v", err)
		}
		role, err := access.ParseRole(d.Role)
		if err != nil {
			return nil, bad("%v", err)
		}
		return decision.BindingAdded{ID: d.BindingID, ResourceID: d.Resource.ID, PrincipalID: d.Principal.ID, PrincipalType: pt, Role: role}, nil
	case events.GrantRevoked:
		var d events.GrantData
		if err := decode(&d); err != nil {
			return nil, err
		}
		return decision.BindingRemoved{ID: d.BindingID}, nil
	case events.ResourceCreated, events.ResourceRenamed, events.ResourceVisibilityChanged:
		var d events.ResourceData
		if err := decode(&d); err != nil {
			return nil, err
		}
		k, err := access.ParseKind(d.Resource.Kind)
		if err != nil {
			return nil, bad("%v", err)
		}
		return decision.ResourceUpserted{ID: d.Resource.ID, Name: d.Resource.Name, ParentID: d.Resource.ParentID, Kind: k, Public: d.Resource.Public}, nil
	case events.ResourceDeleted:
		var d events.ResourceData
		if err := decode(&d); err != nil {
			return nil, err
		}
		return decision.ResourceDeleted{ID: d.Resource.ID}, nil
	case events.ServiceAccountCreated:
		var d events.ServiceAccountData
		if err := decode(&d); err != nil {
			return nil, err
		}
		return decision.ServiceAccountUpserted{ID: d.ServiceAccount.ID, Name: d.ServiceAccount.Name}, nil
	case events.ActionsChanged:
		var d events.ActionsData
		if err := decode(&d); err != nil {
			return nil, err
		}
		out := decision.ActionsReplaced{Actions: make([]decision.CustomAction, 0, len(d.Actions))}
		for _, a := range d.Actions {
			ca, err := service.DecisionAction(a.Name, a.Organization, a.Cloud, a.Project)
			if err != nil {
				return nil, bad("action %q: %v", a.Name, err)
			}
			out.Actions = append(out.Actions, ca)
		}
		return out, nil
	case events.ServiceAccountDeleted:
		var d events.ServiceAccountData
		if err := decode(&d); err != nil {
			return nil, err
		}
		return decision.ServiceAccountDeleted{ID: d.ServiceAccount.ID}, nil
	}
	return nil, bad("unknown event type")
}

// principalType maps an event's principal type ("serviceAccount" in camelCase) to access's.
func principalType(s string) (access.PrincipalType, error) {
	switch s {
	case "user":
		return access.PrincipalUser, nil
	case "group":
		return access.PrincipalGroup, nil
	case "serviceAccount":
		return access.PrincipalServiceAccount, nil
	}
	return 0, fmt.Errorf("unknown principal type %q", s)
}
