package decision

import (
	"errors"
	"fmt"

	"github.com/rolecall/rolecall/internal/access"
)

// Change is one committed edit of an organization's authorization data. The set is closed:
// the types below are the only changes.
//
// Each change edits the index as the same edit would edit an access.State, so that an index
// built from a State and then changed answers exactly as access.NewIndex on the changed
// State. In particular a deletion removes only the record: bindings and memberships that
// name it stay (granting nothing while it is gone), as they would in a State. When the store
// deletes them in the same transaction (SCIM DELETE of a user, deleting a service account),
// the producer sends their removals in the same batch.
type Change interface{ change() }

// UserUpserted creates or replaces a user.
type UserUpserted access.User

// UserDeleted removes a user; its userName is free again.
type UserDeleted struct{ ID string }

// GroupUpserted creates or replaces a group. A SCIM DELETE of a group is a soft delete: send
// GroupUpserted with Active false, not GroupDeleted.
type GroupUpserted access.Group

// GroupDeleted removes a group record.
type GroupDeleted struct{ ID string }

// MembershipAdded adds a direct member (user or group) to a group; adding it twice is a no-op.
type MembershipAdded access.Membership

// MembershipRemoved removes a direct member from a group.
type MembershipRemoved access.Membership

// BindingAdded adds a role binding. A binding with the ID of an existing one replaces it.
type BindingAdded access.Binding

// BindingRemoved removes the binding with the given ID.
type BindingRemoved struct{ ID string }

// ResourceUpserted creates, renames or moves a resource (the organization, a cloud or a
// project).
type ResourceUpserted access.Resource

// ResourceDeleted removes a resource.
type ResourceDeleted struct{ ID string }

// ServiceAccountUpserted creates or renames a service account.
type ServiceAccountUpserted access.ServiceAccount

// ServiceAccountDeleted removes a service account.
type ServiceAccountDeleted struct{ ID string }

// ActionsReplaced replaces the organization's custom actions with the given set.
type ActionsReplaced struct{ Actions []CustomAction }

func (UserUpserted) change()           {}
func (UserDeleted) change()            {}
func (GroupUpserted) change()          {}
func (GroupDeleted) change()           {}
func (MembershipAdded) change()        {}
func (MembershipRemoved) change()      {}
func (BindingAdded) change()           {}
func (BindingRemoved) change()         {}
func (ResourceUpserted) change()       {}
func (ResourceDeleted) change()        {}
func (ServiceAccountUpserted) change() {}
func (ServiceAccountDeleted) change()  {}
func (ActionsReplaced) change()        {}

// Errors of Apply; returned errors wrap them.
var (
	// ErrStaleRevision: the batch's revision is not above the index's.
	ErrStaleRevision = errors.New("decision: revision not above the index's")
	// ErrInvalidChange: a change of the batch is malformed; nothing was applied.
	ErrInvalidChange = errors.New("decision: invalid change")
)

// Apply applies a batch of changes and advances the index to revision rev, atomically:
// readers see the index before the batch or after it, never in between. rev must be above
// the current revision (revisions only grow). The batch is checked whole before anything is
// applied, so on an error nothing changed. An empty batch only advances the revision (a
// write that touched nothing the index holds).
func (ix *Index) Apply(rev uint64, changes ...Change) error {
	for i, c := range changes {
		if err := validate(c); err != nil {
			return fmt.Errorf("%w: change %d (%T): %v", ErrInvalidChange, i, c, err)
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if rev <= ix.rev {
		return fmt.Errorf("%w: batch at %d, index at %d", ErrStaleRevision, rev, ix.rev)
	}
	for _, c := range changes {
		ix.apply(c)
	}
	ix.rev = rev
	return nil
}

func validate(c Change) error {
	need := func(what, v string) error {
		if v == "" {
			return fmt.Errorf("empty %s", what)
		}
		return nil
	}
	switch c := c.(type) {
	case UserUpserted:
		return need("id", c.ID)
	case GroupUpserted:
		return need("id", c.ID)
	case ServiceAccountUpserted:
		return need("id", c.ID)
	case UserDeleted:
		return need("id", c.ID)
	case GroupDeleted:
		return need("id", c.ID)
	case ServiceAccountDeleted:
		return need("id", c.ID)
	case ResourceDeleted:
		return need("id", c.ID)
	case BindingRemoved:
		return need("id", c.ID)
	case ResourceUpserted:
		if _, err := access.ParseKind(c.Kind.String()); err != nil {
			return err
		}
		return need("id", c.ID)
	case MembershipAdded, MembershipRemoved:
		m := membershipOf(c)
		if m.MemberType != access.PrincipalUser && m.MemberType != access.PrincipalGroup {
			return fmt.Errorf("member type %v is not user or group", m.MemberType)
		}
		return errors.Join(need("group id", m.GroupID), need("member id", m.MemberID))
	case BindingAdded:
		if c.Role == access.RoleNone || c.Role > access.RoleOwner {
			return fmt.Errorf("invalid role %v", c.Role)
		}
		if _, err := access.ParsePrincipalType(c.PrincipalType.String()); err != nil {
			return err
		}
		return errors.Join(need("id", c.ID), need("resource id", c.ResourceID), need("principal id", c.PrincipalID))
	case ActionsReplaced:
		return validateActions(c.Actions)
	case nil:
		return errors.New("nil change")
	}
	return fmt.Errorf("unknown change type %T", c)
}

func membershipOf(c Change) access.Membership {
	switch c := c.(type) {
	case MembershipAdded:
		return access.Membership(c)
	case MembershipRemoved:
		return access.Membership(c)
	}
	return access.Membership{}
}

func (ix *Index) apply(c Change) {
	switch c := c.(type) {
	case UserUpserted:
		ix.upsertUser(access.User(c))
	case UserDeleted:
		ix.deleteUser(c.ID)
	case GroupUpserted:
		ix.upsertGroup(access.Group(c))
	case GroupDeleted:
		ix.deleteGroup(c.ID)
	case MembershipAdded:
		ix.addMembership(access.Membership(c), true)
	case MembershipRemoved:
		ix.removeMembership(access.Membership(c))
	case BindingAdded:
		ix.removeBinding(c.ID)
		ix.addBinding(access.Binding(c))
	case BindingRemoved:
		ix.removeBinding(c.ID)
	case ResourceUpserted:
		ix.upsertResource(access.Resource(c), true)
	case ResourceDeleted:
		ix.deleteResource(c.ID)
	case ServiceAccountUpserted:
		ix.upsertAccount(access.ServiceAccount(c))
	case ServiceAccountDeleted:
		ix.deleteAccount(c.ID)
	case ActionsReplaced:
		ix.setActions(c.Actions)
	}
}
