package scim

import (
	"strings"

	"github.com/rolecall/rolecall/internal/scim/filter"
)

// MemberOpKind is the kind of a membership change.
type MemberOpKind uint8

// Membership change kinds.
const (
	MemberAdd       MemberOpKind = iota + 1 // add Members that are not yet members (set union)
	MemberRemove                            // remove Members by Value; absent ones are ignored (set difference)
	MemberReplace                           // the membership becomes exactly Members
	MemberRemoveAll                         // remove every member; Members is empty
)

// String names the kind: add, remove, replace or removeAll.
func (k MemberOpKind) String() string {
	switch k {
	case MemberAdd:
		return "add"
	case MemberRemove:
		return "remove"
	case MemberReplace:
		return "replace"
	case MemberRemoveAll:
		return "removeAll"
	}
	return "invalid"
}

// MemberOp is one membership change of a Group PATCH, to be run by the server as a set
// operation in SQL, in order with the others. For Add and Replace each Member carries the
// display name and type the client sent (Entra sends "displayName", kept as Display); for
// Remove only Value is set. Members holds no duplicate values.
type MemberOp struct {
	Kind    MemberOpKind
	Members []Member
}

// IDs returns the member ids of the operation, in order.
func (op MemberOp) IDs() []string {
	ids := make([]string, len(op.Members))
	for i, m := range op.Members {
		ids[i] = m.Value
	}
	return ids
}

// applyMembers turns an operation on Group "members" into a MemberOp.
func (p *patcher) applyMembers(kind PatchOpKind, t target, v any, hasValue bool) error {
	if t.filter != nil {
		ids, err := memberFilterIDs(t.filter)
		if err != nil {
			return err
		}
		if kind != PatchRemove || t.sub != nil {
			return ErrInvalidPath(`a members[...] path supports only remove (e.g. {"op":"remove","path":"members[value eq \"id\"]"}); to add, use {"op":"add","path":"members","value":[{"value":"id"}]}`)
		}
		p.emit(MemberRemove, ids)
		return nil
	}
	if t.sub != nil {
		return ErrInvalidPath(`%q is not supported: patch "members" as a whole (add, replace, remove with [{"value":"id"}]) or remove members[value eq "id"]`, t.text)
	}
	switch kind {
	case PatchRemove:
		if !hasValue || v == nil {
			p.res.Members = append(p.res.Members, MemberOp{Kind: MemberRemoveAll})
			return nil
		}
		ms, err := memberValues(t.a, v)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			return nil
		}
		ids := make([]Member, len(ms))
		for i, m := range ms {
			ids[i] = Member{Value: m.Value}
		}
		p.res.Members = append(p.res.Members, MemberOp{Kind: MemberRemove, Members: ids})
	case PatchAdd:
		ms, err := memberValues(t.a, v)
		if err != nil {
			return err
		}
		if len(ms) > 0 {
			p.res.Members = append(p.res.Members, MemberOp{Kind: MemberAdd, Members: ms})
		}
	case PatchReplace:
		ms, err := memberValues(t.a, v)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			p.res.Members = append(p.res.Members, MemberOp{Kind: MemberRemoveAll})
			return nil
		}
		p.res.Members = append(p.res.Members, MemberOp{Kind: MemberReplace, Members: ms})
	}
	return nil
}

func (p *patcher) emit(kind MemberOpKind, ids []string) {
	ms := make([]Member, len(ids))
	for i, id := range ids {
		ms[i] = Member{Value: id}
	}
	p.res.Members = append(p.res.Members, MemberOp{Kind: kind, Members: ms})
}

// memberValues reads a members value: a list of member objects, one object, or a bare id
// string (Entra), each checked to carry a non-empty "value".
func memberValues(a *Attribute, v any) ([]Member, error) {
	n, err := normAttr(a, v, "members")
	if err != nil {
		return nil, err
	}
	if err := checkMembers(n); err != nil {
		return nil, err
	}
	list, _ := n.([]any)
	return membersFromList(list), nil
}

// memberFilterIDs reads the ids of a members filter made of `value eq "id"` comparisons
// joined with or: that is what IdPs send, and what maps onto a set operation.
func memberFilterIDs(e filter.Expr) ([]string, error) {
	var ids []string
	seen := map[string]bool{}
	var walk func(filter.Expr) bool
	walk = func(e filter.Expr) bool {
		switch x := e.(type) {
		case *filter.Or:
			return walk(x.Left) && walk(x.Right)
		case *filter.Compare:
			if x.Op != filter.OpEq || x.Path.URI != "" || x.Path.Sub != "" || !strings.EqualFold(x.Path.Attr, "value") || x.Value.Kind != filter.KindString || x.Value.Str == "" {
				return false
			}
			if !seen[x.Value.Str] {
				seen[x.Value.Str] = true
				ids = append(ids, x.Value.Str)
			}
			return true
		}
		return false
	}
	if !walk(e) {
		return nil, ErrInvalidFilter(`members filters support only value eq "id" comparisons joined with or, e.g. members[value eq "a" or value eq "b"]`)
	}
	return ids, nil
}
