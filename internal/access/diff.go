package access

import (
	"cmp"
	"slices"
)

// RoleDiff is one resource on which a user's role differs between two snapshots.
type RoleDiff struct {
	ResourceID string
	Name       string
	Kind       Kind
	Before     Role
	After      Role
}

// Differ compares users' roles between two snapshots of one org, before and after a change,
// in the terms of the enforce-groups preview: the organization's line compares the org
// role; the lines of clouds and projects compare the roles bindings give there, a public
// project raised to collaborator for whoever holds a role on its cloud. Org ownership is
// not expanded into a line per cloud and project (the organization's line says it), and a
// user who is an org owner after the change is owner everywhere, so no cloud or project
// line of it is a real change and none is listed.
//
// Its cost per user is one evaluation per snapshot over the resources the user holds
// something on, never the whole org's resources, so a caller can diff the thousands of
// users a membership change reaches. A Differ reuses its buffers: it is not safe for
// concurrent use.
type Differ struct {
	before, after *Index
	eb, ea        *Evaluator
	// aligned says both snapshots list the same resources in the same order (the common
	// case: one read of the org, changed in memory), so that a ResourceRef means the same
	// resource in both and roles are compared without looking ids up.
	aligned bool
	mark    []uint32 // per resource (aligned): gen when last listed
	gen     uint32
	cands   []ResourceRef
	buf     []ResourceRef // candidates' buffer, reused per user
}

// NewDiffer returns a Differ between before and after.
func NewDiffer(before, after *Index) *Differ {
	d := &Differ{before: before, after: after, eb: before.NewEvaluator(), ea: after.NewEvaluator()}
	rb, ra := before.state.Resources, after.state.Resources
	d.aligned = len(rb) == len(ra)
	for i := 0; d.aligned && i < len(rb); i++ {
		d.aligned = rb[i].ID == ra[i].ID && rb[i].Kind == ra[i].Kind && rb[i].Name == ra[i].Name &&
			rb[i].ParentID == ra[i].ParentID && rb[i].Public == ra[i].Public &&
			before.resources[rb[i].ID] == ResourceRef(i) && after.resources[ra[i].ID] == ResourceRef(i)
	}
	if d.aligned {
		d.mark = make([]uint32, len(rb))
	}
	return d
}

// DiffUser lists the resources on which userID's role differs between the snapshots before
// and after (a user absent from one, inactive or removed there holds nothing in it), as a
// Differ does, organization first, then clouds, then projects, each by name then id.
func DiffUser(before, after *Index, userID string) []RoleDiff {
	return NewDiffer(before, after).User(userID)
}

// User lists the resources on which userID's role differs, organization first, then
// clouds, then projects, each by name then id.
func (d *Differ) User(userID string) []RoleDiff {
	var out []RoleDiff
	if d.aligned {
		out = d.alignedUser(userID)
	} else {
		out = d.byID(userID)
	}
	slices.SortFunc(out, func(x, y RoleDiff) int {
		return cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Name, y.Name), cmp.Compare(x.ResourceID, y.ResourceID))
	})
	return out
}

// load evaluates userID in ix with e and reports whether it holds anything there.
func load(ix *Index, e *Evaluator, userID string) bool {
	u, ok := ix.users[userID]
	if !ok || !ix.User(u).Holds() {
		return false
	}
	e.Load(u)
	return true
}

// candidates are the resources on which e's user may hold something: those its bindings
// name and the public projects of its clouds (withPublic), in buf.
func candidates(ix *Index, e *Evaluator, buf []ResourceRef) []ResourceRef {
	return ix.withPublic(append(buf[:0], e.Resources()...), e.Role)
}

func (d *Differ) alignedUser(userID string) []RoleDiff {
	hb, ha := load(d.before, d.eb, userID), load(d.after, d.ea, userID)
	if !hb && !ha {
		return nil
	}
	d.gen++
	if d.gen == 0 {
		clear(d.mark)
		d.gen = 1
	}
	d.cands = d.cands[:0]
	add := func(r ResourceRef) {
		if d.mark[r] != d.gen {
			d.mark[r] = d.gen
			d.cands = append(d.cands, r)
		}
	}
	if hb {
		d.buf = candidates(d.before, d.eb, d.buf)
		for _, r := range d.buf {
			add(r)
		}
	}
	if ha {
		d.buf = candidates(d.after, d.ea, d.buf)
		for _, r := range d.buf {
			add(r)
		}
	}
	role := func(ix *Index, e *Evaluator, holds bool, r ResourceRef) Role {
		if !holds {
			return RoleNone
		}
		return ix.PublicRole(r, e.Role)
	}
	ownerAfter := ha && d.after.org >= 0 && d.ea.Role(d.after.org) == RoleOwner
	var out []RoleDiff
	for _, r := range d.cands {
		was, is := role(d.before, d.eb, hb, r), role(d.after, d.ea, ha, r)
		if was == is {
			continue
		}
		res := d.after.Resource(r)
		if ownerAfter && res.Kind != KindOrganization {
			continue
		}
		out = append(out, RoleDiff{ResourceID: res.ID, Name: res.Name, Kind: res.Kind, Before: was, After: is})
	}
	return out
}

// roleOn is a user's role on one resource of one snapshot, with what names the resource.
type roleOn struct {
	role Role
	name string
	kind Kind
}

// byID is User for snapshots whose resources differ: roles are matched by resource id.
func (d *Differ) byID(userID string) []RoleDiff {
	held := func(ix *Index, e *Evaluator) (map[string]roleOn, Role) {
		if !load(ix, e, userID) {
			return nil, RoleNone
		}
		out := map[string]roleOn{}
		d.buf = candidates(ix, e, d.buf)
		for _, r := range d.buf {
			if role := ix.PublicRole(r, e.Role); role != RoleNone {
				res := ix.Resource(r)
				out[res.ID] = roleOn{role: role, name: res.Name, kind: res.Kind}
			}
		}
		var org Role
		if ix.org >= 0 {
			org = e.Role(ix.org)
		}
		return out, org
	}
	b, _ := held(d.before, d.eb)
	a, aOrg := held(d.after, d.ea)
	ownerAfter := aOrg == RoleOwner
	var out []RoleDiff
	add := func(id string, was, is roleOn) {
		if was.role == is.role {
			return
		}
		k, name := is.kind, is.name
		if is.role == RoleNone {
			k, name = was.kind, was.name
		}
		if ownerAfter && k != KindOrganization {
			return
		}
		out = append(out, RoleDiff{ResourceID: id, Name: name, Kind: k, Before: was.role, After: is.role})
	}
	for id, was := range b {
		add(id, was, a[id])
	}
	for id, is := range a {
		if _, ok := b[id]; !ok {
			add(id, roleOn{}, is)
		}
	}
	return out
}
