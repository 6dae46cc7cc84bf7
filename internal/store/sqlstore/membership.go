package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/store"
)

// Membership changes are set operations: the given ids are resolved, checked and written
// with statements whose cost depends on the number of ids, never on the size of the group.
// No method here reads a member list in order to change it.

// liveGroup returns ErrNotFound unless groupID is a live group of the org.
func (t *tx) liveGroup(ctx context.Context, orgID, groupID string) error {
	ok, err := t.exists(ctx, "SELECT 1 FROM groups WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL", orgID, groupID)
	if err != nil {
		return t.d.mapErr(err, fmt.Sprintf("group %q", groupID))
	}
	if !ok {
		return fmt.Errorf("%w: group %q", store.ErrNotFound, groupID)
	}
	return nil
}

// lookupMembers finds which of ids are live users and which live groups of the org, in one
// query per kind (and per chunk of ids). On PostgreSQL the rows are locked FOR SHARE so that
// they cannot be deleted before the membership commits. Ids that are neither are absent from
// the map.
//
// Live ids found are remembered for the rest of the transaction (tx.live): a PATCH resolves
// its ids once to report the unknown ones (KnownMembers) and again when it writes them
// (AddMembers), and in between nothing can change them: SQLite has one writer, and on
// PostgreSQL the first lookup in an Update locked the rows. DeleteUser and DeleteGroup
// forget them. Ids not found are always looked up again (the transaction may create them).
func (t *tx) lookupMembers(ctx context.Context, orgID string, ids []string) (map[string]store.MemberType, error) {
	types := make(map[string]store.MemberType, len(ids))
	if t.liveOrg == orgID && len(t.live) > 0 {
		var miss []string
		for _, id := range ids {
			if typ, ok := t.live[id]; ok {
				types[id] = typ
			} else {
				miss = append(miss, id)
			}
		}
		ids = miss
	}
	if len(ids) == 0 {
		return types, nil
	}
	defer t.rememberLive(orgID, types)
	lock := t.d.shareOf("x")
	if t.readOnly {
		lock = "" // a read-only transaction (KnownMembers in View) cannot lock rows
	}
	collect := func(table string, typ store.MemberType, want []string) error {
		return chunks(want, listBatch, func(part []string) error {
			rows, err := t.query(ctx, "SELECT x.id "+t.d.drive(2, table+" x")+
				" WHERE x.id = l.v AND "+t.d.orgOf("x", 1)+" AND x.deleted_at IS NULL"+lock, orgID, t.d.listArg(part))
			if err != nil {
				return t.d.mapErr(err, "resolve members")
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					return t.d.mapErr(err, "resolve members")
				}
				types[id] = typ
			}
			return t.d.mapErr(rows.Err(), "resolve members")
		})
	}
	if err := collect("users", store.MemberUser, ids); err != nil {
		return nil, err
	}
	var rest []string
	for _, id := range ids {
		if _, ok := types[id]; !ok {
			rest = append(rest, id)
		}
	}
	if len(rest) > 0 {
		if err := collect("groups", store.MemberGroup, rest); err != nil {
			return nil, err
		}
	}
	return types, nil
}

// rememberLive adds live member ids to the transaction's cache (see lookupMembers).
func (t *tx) rememberLive(orgID string, types map[string]store.MemberType) {
	if t.liveOrg != orgID {
		t.live, t.liveOrg = nil, orgID
	}
	if t.live == nil {
		t.live = make(map[string]store.MemberType, len(types))
	}
	for id, typ := range types {
		t.live[id] = typ
	}
}

// forgetLive drops the cache of live member ids: a user or group stopped being live.
func (t *tx) forgetLive() { t.live, t.liveOrg = nil, "" }

// KnownMembers returns, in the given order and without duplicates, the ids that are live
// users or groups of the org.
func (t *tx) KnownMembers(ctx context.Context, orgID string, ids []string) ([]string, error) {
	ids = dedupe(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	types, err := t.lookupMembers(ctx, orgID, ids)
	if err != nil {
		return nil, err
	}
	known := make([]string, 0, len(types))
	for _, id := range ids {
		if _, ok := types[id]; ok {
			known = append(known, id)
		}
	}
	return known, nil
}

// resolveMembers resolves ids with lookupMembers. An id that is neither a user nor a group is
// ErrNotFound; a group that is the target itself or contains it (transitively) is ErrInvalid.
func (t *tx) resolveMembers(ctx context.Context, orgID, groupID string, ids []string) (map[string]store.MemberType, error) {
	types, err := t.lookupMembers(ctx, orgID, ids)
	if err != nil {
		return nil, err
	}
	var groups []string
	for _, id := range ids {
		typ, ok := types[id]
		if !ok {
			return nil, fmt.Errorf("%w: member %q is neither a user nor a group of the org", store.ErrNotFound, id)
		}
		if typ == store.MemberGroup {
			if id == groupID {
				return nil, fmt.Errorf("%w: group %q cannot be a member of itself", store.ErrInvalid, groupID)
			}
			groups = append(groups, id)
		}
	}
	if len(groups) > 0 {
		if err := t.checkCycles(ctx, orgID, groupID, groups); err != nil {
			return nil, err
		}
	}
	return types, nil
}

// checkCycles refuses to add candidate groups to target when target is reachable from one of
// them through live group-in-group edges (a recursive walk down from the candidates). On
// PostgreSQL the org's nesting lock is taken first, so two transactions cannot each add one
// half of a cycle under READ COMMITTED.
func (t *tx) checkCycles(ctx context.Context, orgID, target string, candidates []string) error {
	if err := t.advisoryLock(ctx, lockNested, orgID); err != nil {
		return err
	}
	found, err := t.exists(ctx, `WITH RECURSIVE down(id) AS (
			SELECT * FROM `+t.d.list(2)+` AS c
			UNION
			SELECT m.member_id FROM memberships m
			JOIN down ON m.group_id = down.id
			JOIN groups dg ON dg.id = m.member_id AND dg.deleted_at IS NULL
			WHERE m.member_type = 'group' AND m.org_id = $1
		)
		SELECT 1 FROM down WHERE id = $3 LIMIT 1`, orgID, t.d.listArg(candidates), target)
	if err != nil {
		return t.d.mapErr(err, fmt.Sprintf("group %q: cycle check", target))
	}
	if found {
		return fmt.Errorf("%w: adding those groups to group %q would make a membership cycle", store.ErrInvalid, target)
	}
	return nil
}

// insertMembers inserts edges, skipping existing ones, and returns the new ones (Type and
// ID, in id order).
func (t *tx) insertMembers(ctx context.Context, orgID, groupID string, ids []string, types map[string]store.MemberType) ([]store.Member, error) {
	// Rows are inserted in id order so that two transactions adding overlapping members take
	// their row locks in the same order and cannot deadlock (PostgreSQL).
	ids = slices.Sorted(slices.Values(ids))
	var added []store.Member
	err := chunks(ids, insertBatch, func(part []string) error {
		args := make([]any, 0, len(part)*4)
		for _, id := range part {
			args = append(args, orgID, groupID, string(types[id]), id)
		}
		// RETURNING lists only the rows inserted (not those ON CONFLICT skipped): the
		// members that change events report as added.
		return t.scanMembers(ctx, &added, "INSERT INTO memberships (org_id, group_id, member_type, member_id) VALUES "+
			t.d.valuesList(len(part), 4)+" ON CONFLICT DO NOTHING RETURNING member_type, member_id", args...)
	})
	if err != nil {
		return nil, t.d.mapErr(err, fmt.Sprintf("members of group %q", groupID))
	}
	// Both engines return inserted rows in insertion order in practice, but neither
	// promises it: sort, so that events come in id order on every backend.
	sortMembers(added)
	return added, nil
}

// scanMembers runs a statement returning (member_type, member_id) rows and appends them.
func (t *tx) scanMembers(ctx context.Context, out *[]store.Member, q string, args ...any) error {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var m store.Member
		var typ string
		if err := rows.Scan(&typ, &m.ID); err != nil {
			return err
		}
		m.Type = store.MemberType(typ)
		*out = append(*out, m)
	}
	return rows.Err()
}

// AddMembers adds users and groups to a group; existing members are skipped.
func (t *tx) AddMembers(ctx context.Context, orgID, groupID string, ids []string) (int, error) {
	added, err := t.AddMembersReturning(ctx, orgID, groupID, ids)
	return len(added), err
}

// AddMembersReturning is AddMembers returning the members added.
func (t *tx) AddMembersReturning(ctx context.Context, orgID, groupID string, ids []string) ([]store.Member, error) {
	if err := t.writableIn(ctx, "AddMembers", orgID); err != nil {
		return nil, err
	}
	if err := t.liveGroup(ctx, orgID, groupID); err != nil {
		return nil, err
	}
	ids = dedupe(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	types, err := t.resolveMembers(ctx, orgID, groupID, ids)
	if err != nil {
		return nil, err
	}
	return t.insertMembers(ctx, orgID, groupID, ids, types)
}

// RemoveMembers removes the ids from the group; non-members are ignored.
func (t *tx) RemoveMembers(ctx context.Context, orgID, groupID string, ids []string) (int, error) {
	removed, err := t.RemoveMembersReturning(ctx, orgID, groupID, ids)
	return len(removed), err
}

// RemoveMembersReturning is RemoveMembers returning the members removed.
func (t *tx) RemoveMembersReturning(ctx context.Context, orgID, groupID string, ids []string) ([]store.Member, error) {
	if err := t.writableIn(ctx, "RemoveMembers", orgID); err != nil {
		return nil, err
	}
	if err := t.liveGroup(ctx, orgID, groupID); err != nil {
		return nil, err
	}
	var removed []store.Member
	err := chunks(dedupe(ids), listBatch, func(part []string) error {
		return t.scanMembers(ctx, &removed, "DELETE FROM memberships WHERE org_id = $1 AND group_id = $2 AND member_id IN "+
			t.d.list(3)+" RETURNING member_type, member_id", orgID, groupID, t.d.listArg(part))
	})
	if err != nil {
		return nil, t.d.mapErr(err, fmt.Sprintf("members of group %q", groupID))
	}
	sortMembers(removed)
	return removed, nil
}

// RemoveAllMembers empties the group.
func (t *tx) RemoveAllMembers(ctx context.Context, orgID, groupID string) (int, error) {
	removed, err := t.RemoveAllMembersReturning(ctx, orgID, groupID)
	return len(removed), err
}

// RemoveAllMembersReturning is RemoveAllMembers returning the members removed.
func (t *tx) RemoveAllMembersReturning(ctx context.Context, orgID, groupID string) ([]store.Member, error) {
	if err := t.writableIn(ctx, "RemoveAllMembers", orgID); err != nil {
		return nil, err
	}
	if err := t.liveGroup(ctx, orgID, groupID); err != nil {
		return nil, err
	}
	var removed []store.Member
	if err := t.scanMembers(ctx, &removed, "DELETE FROM memberships WHERE org_id = $1 AND group_id = $2 RETURNING member_type, member_id",
		orgID, groupID); err != nil {
		return nil, t.d.mapErr(err, fmt.Sprintf("members of group %q", groupID))
	}
	sortMembers(removed)
	return removed, nil
}

// ReplaceMembers makes the member set exactly ids: one DELETE of the edges not in ids, one
// INSERT … ON CONFLICT DO NOTHING of ids (batched).
func (t *tx) ReplaceMembers(ctx context.Context, orgID, groupID string, ids []string) (int, int, error) {
	added, removed, err := t.ReplaceMembersReturning(ctx, orgID, groupID, ids)
	return len(added), len(removed), err
}

// ReplaceMembersReturning is ReplaceMembers returning the members added and removed.
func (t *tx) ReplaceMembersReturning(ctx context.Context, orgID, groupID string, ids []string) (added, removed []store.Member, err error) {
	if err := t.writableIn(ctx, "ReplaceMembers", orgID); err != nil {
		return nil, nil, err
	}
	if err := t.liveGroup(ctx, orgID, groupID); err != nil {
		return nil, nil, err
	}
	ids = dedupe(ids)
	types, err := t.resolveMembers(ctx, orgID, groupID, ids)
	if err != nil {
		return nil, nil, err
	}
	if err := t.scanMembers(ctx, &removed, "DELETE FROM memberships WHERE org_id = $1 AND group_id = $2 AND member_id NOT IN "+
		t.d.list(3)+" RETURNING member_type, member_id", orgID, groupID, t.d.listArg(ids)); err != nil {
		return nil, nil, t.d.mapErr(err, fmt.Sprintf("members of group %q", groupID))
	}
	sortMembers(removed)
	if added, err = t.insertMembers(ctx, orgID, groupID, ids, types); err != nil {
		return nil, nil, err
	}
	return added, removed, nil
}

func sortMembers(ms []store.Member) {
	slices.SortFunc(ms, func(a, b store.Member) int { return strings.Compare(a.ID, b.ID) })
}

// memberSelect reads edges with the member's display name. Deleted member groups are left
// out (deleted users have no edges).
const memberSelect = `SELECT m.group_id, m.member_type, m.member_id, COALESCE(u.user_name, mg.display_name, '')
	FROM memberships m
	LEFT JOIN users u ON m.member_type = 'user' AND u.id = m.member_id
	LEFT JOIN groups mg ON m.member_type = 'group' AND mg.id = m.member_id`

const memberLive = "u.deleted_at IS NULL AND mg.deleted_at IS NULL"

// Members lists one page of a live group's members ordered by member id, with the total.
// Page.After does not apply (members have no sequence number) and is ignored.
func (t *tx) Members(ctx context.Context, orgID, groupID string, p store.Page) ([]store.Member, int, error) {
	if err := t.ready(); err != nil {
		return nil, 0, err
	}
	if err := t.liveGroup(ctx, orgID, groupID); err != nil {
		return nil, 0, err
	}
	what := fmt.Sprintf("members of group %q", groupID)
	var total int
	if err := t.one(ctx, "SELECT count(*) FROM memberships m WHERE m.org_id = $1 AND m.group_id = $2 AND "+liveMember,
		[]any{orgID, groupID}, &total); err != nil {
		return nil, 0, t.d.mapErr(err, what)
	}
	p.After = 0
	page, wanted := t.d.page(p)
	out := []store.Member{}
	if !wanted {
		return out, total, nil
	}
	rows, err := t.query(ctx, memberSelect+" WHERE m.org_id = $1 AND m.group_id = $2 AND "+memberLive+
		" ORDER BY m.member_id"+page, orgID, groupID)
	if err != nil {
		return nil, 0, t.d.mapErr(err, what)
	}
	defer rows.Close()
	for rows.Next() {
		var gid string
		var m store.Member
		if err := rows.Scan(&gid, &m.Type, &m.ID, &m.Display); err != nil {
			return nil, 0, t.d.mapErr(err, what)
		}
		out = append(out, m)
	}
	return out, total, t.d.mapErr(rows.Err(), what)
}

// MembersOf returns the members of each given live group (one query per chunk of group ids).
func (t *tx) MembersOf(ctx context.Context, orgID string, groupIDs []string) (map[string][]store.Member, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	out := map[string][]store.Member{}
	err := chunks(dedupe(groupIDs), listBatch, func(part []string) error {
		rows, err := t.query(ctx, memberSelect+`
			JOIN groups tg ON tg.id = m.group_id AND tg.org_id = $1 AND tg.deleted_at IS NULL
			WHERE m.org_id = $1 AND m.group_id IN `+t.d.list(2)+" AND "+memberLive+
			" ORDER BY m.group_id, m.member_id", orgID, t.d.listArg(part))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var gid string
			var m store.Member
			if err := rows.Scan(&gid, &m.Type, &m.ID, &m.Display); err != nil {
				return err
			}
			out[gid] = append(out[gid], m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, t.d.mapErr(err, "members of groups")
	}
	return out, nil
}

// IsMember reports whether memberID is a live direct member of the live group.
func (t *tx) IsMember(ctx context.Context, orgID, groupID, memberID string) (bool, error) {
	if err := t.ready(); err != nil {
		return false, err
	}
	ok, err := t.exists(ctx, `SELECT 1 FROM memberships m
		JOIN groups tg ON tg.id = m.group_id AND tg.org_id = $1 AND tg.deleted_at IS NULL
		WHERE m.org_id = $1 AND m.group_id = $2 AND m.member_id = $3 AND `+liveMember, orgID, groupID, memberID)
	return ok, t.d.mapErr(err, fmt.Sprintf("group %q member %q", groupID, memberID))
}

// GroupsOfMember lists the live groups memberID directly belongs to, in Seq order. A deleted
// group belongs to nothing.
func (t *tx) GroupsOfMember(ctx context.Context, orgID, memberID string) ([]store.Group, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	what := fmt.Sprintf("groups of %q", memberID)
	rows, err := t.query(ctx, "SELECT "+groupCols+` FROM memberships m
		JOIN groups g ON g.id = m.group_id AND g.org_id = $1 AND g.deleted_at IS NULL
		WHERE m.org_id = $1 AND m.member_id = $2 AND `+liveMember+" ORDER BY g.seq", orgID, memberID)
	if err != nil {
		return nil, t.d.mapErr(err, what)
	}
	defer rows.Close()
	out := []store.Group{}
	for rows.Next() {
		g, err := scanGroup(rows, true)
		if err != nil {
			return nil, t.d.mapErr(err, what)
		}
		out = append(out, g)
	}
	return out, t.d.mapErr(rows.Err(), what)
}

// AllMemberships streams every edge of the org whose group and (group) member are live,
// ordered by group id then member id. Deleted groups are few: their ids are read first and
// the edges filtered here, so that the scan of a million edges joins nothing (two index
// lookups per edge cost more than the scan itself).
func (t *tx) AllMemberships(ctx context.Context, orgID string, fn func(store.Membership) error) error {
	deleted := map[string]bool{}
	err := t.stream(ctx, "all memberships", "SELECT id FROM groups WHERE deleted_at IS NOT NULL AND org_id = $1",
		[]any{orgID}, func(r *countedRows) error {
			var id string
			if err := r.Scan(&id); err != nil {
				return err
			}
			deleted[id] = true
			return nil
		})
	if err != nil {
		return err
	}
	q := `SELECT group_id, member_type, member_id FROM memberships WHERE org_id = $1 ORDER BY group_id, member_id`
	if small, err := t.smallOrg(ctx, orgID); err != nil {
		return err
	} else if small {
		// memberships has no index on org_id: a small org's edges are reached through its
		// groups, each group's edges one range of the primary key (orgshare.go). CROSS JOIN
		// keeps groups the outer loop; ordered by group id, the edges come out in the order
		// of the scan above.
		q = `SELECT m.group_id, m.member_type, m.member_id FROM groups g INDEXED BY groups_org_seq
			CROSS JOIN memberships m ON m.group_id = g.id WHERE g.org_id = $1 ORDER BY g.id, m.member_id`
	}
	return t.stream(ctx, "all memberships", q, []any{orgID}, func(r *countedRows) error {
		var m store.Membership
		if err := r.Scan(&m.GroupID, &m.MemberType, &m.MemberID); err != nil {
			return err
		}
		if len(deleted) > 0 && (deleted[m.GroupID] || (m.MemberType == store.MemberGroup && deleted[m.MemberID])) {
			return nil
		}
		return fn(m)
	})
}

// GroupsOfMembers lists, for each member id, the live groups it is directly in, in Seq
// order, without Doc: one query per chunk of ids, each id driving an index lookup of its
// edges.
func (t *tx) GroupsOfMembers(ctx context.Context, orgID string, memberIDs []string) (map[string][]store.Group, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	out := map[string][]store.Group{}
	err := chunks(dedupe(memberIDs), listBatch, func(part []string) error {
		rows, err := t.query(ctx, "SELECT m.member_id, "+groupColsNoDoc+" "+t.d.drive(2, "memberships m")+`
			JOIN groups g ON g.id = m.group_id AND g.org_id = $1 AND g.deleted_at IS NULL
			WHERE m.member_id = l.v AND `+t.d.orgOf("m", 1)+" AND "+liveMember+" ORDER BY m.member_id, g.seq",
			orgID, t.d.listArg(part))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var g store.Group
			var member string
			if err := rows.Scan(&member, &g.Seq, &g.ID, &g.OrgID, &g.DisplayName, &g.ExternalID, &g.Active,
				&g.Version, timeCol{&g.Created}, timeCol{&g.LastModified}); err != nil {
				return err
			}
			out[member] = append(out[member], g)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, t.d.mapErr(err, "groups of members")
	}
	return out, nil
}

// ParentsOf returns the edges from the given members to their live groups in two steps:
// the edges (one range of memberships_member per id), then the few distinct groups they
// reach (one primary-key lookup each), rather than a join that looks the group up again for
// every edge (10,000 members of one group would read that group 10,000 times). No order, no
// member liveness check (the caller names live members).
func (t *tx) ParentsOf(ctx context.Context, orgID string, memberIDs []string) ([]store.ParentEdge, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	var edges []store.ParentEdge
	groups := map[string]int{} // group id -> position in gids
	var gids []string
	err := chunks(dedupe(memberIDs), listBatch, func(part []string) error {
		// No org condition: ids are unique across the database and the store keeps every
		// edge within one org, so the member's edges are its org's; the groups read below
		// are checked against the org. Without it, SQLite answers from memberships_member
		// alone (it holds the primary key, group_id, too).
		rows, err := t.query(ctx, "SELECT m.member_id, m.group_id "+t.d.drive(1, "memberships m")+
			" WHERE m.member_id = l.v", t.d.listArg(part))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e store.ParentEdge
			if err := rows.Scan(&e.MemberID, &e.GroupID); err != nil {
				return err
			}
			if _, ok := groups[e.GroupID]; !ok {
				groups[e.GroupID] = len(gids)
				gids = append(gids, e.GroupID)
			}
			edges = append(edges, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, t.d.mapErr(err, "parents of members")
	}
	gs, err := t.GroupFlags(ctx, orgID, gids)
	if err != nil {
		return nil, err
	}
	live := make(map[string]store.Group, len(gs))
	for _, g := range gs {
		live[g.ID] = g
	}
	out := make([]store.ParentEdge, 0, len(edges))
	for _, e := range edges {
		if g, ok := live[e.GroupID]; ok {
			e.GroupName, e.GroupActive = g.DisplayName, g.Active
			out = append(out, e)
		}
	}
	return out, nil
}

// GroupFlags returns ID, DisplayName and Active of the live groups of the org among ids:
// one primary-key lookup each, no row lock.
func (t *tx) GroupFlags(ctx context.Context, orgID string, ids []string) ([]store.Group, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	out := []store.Group{}
	err := chunks(dedupe(ids), listBatch, func(part []string) error {
		rows, err := t.query(ctx, "SELECT g.id, g.display_name, g.active "+t.d.drive(2, "groups g")+
			" WHERE g.id = l.v AND "+t.d.orgOf("g", 1)+" AND g.deleted_at IS NULL", orgID, t.d.listArg(part))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			g := store.Group{OrgID: orgID}
			if err := rows.Scan(&g.ID, &g.DisplayName, &g.Active); err != nil {
				return err
			}
			out = append(out, g)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, t.d.mapErr(err, "group flags")
	}
	return out, nil
}

// ChildEdges returns the edges of the given groups: one range of the primary key per group,
// no join.
func (t *tx) ChildEdges(ctx context.Context, orgID string, groupIDs []string) ([]store.Membership, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	out := []store.Membership{}
	err := chunks(dedupe(groupIDs), listBatch, func(part []string) error {
		rows, err := t.query(ctx, "SELECT m.group_id, m.member_type, m.member_id "+t.d.drive(2, "memberships m")+
			" WHERE m.group_id = l.v AND "+t.d.orgOf("m", 1), orgID, t.d.listArg(part))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m store.Membership
			if err := rows.Scan(&m.GroupID, &m.MemberType, &m.MemberID); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, t.d.mapErr(err, "edges of groups")
	}
	return out, nil
}

// AncestryGranted walks up from the group through memberships_member (a recursive query
// seeded from the group's own row, whose column collation the recursion then keeps on
// PostgreSQL) and looks for a group binding among what it reaches.
func (t *tx) AncestryGranted(ctx context.Context, orgID, groupID string) (bool, error) {
	if err := t.ready(); err != nil {
		return false, err
	}
	found, err := t.exists(ctx, `WITH RECURSIVE up(id) AS (
			SELECT g.id FROM groups g WHERE g.id = $2 AND g.org_id = $1
			UNION
			SELECT m.group_id FROM memberships m JOIN up ON m.member_id = up.id
		)
		SELECT 1 FROM up JOIN bindings b ON b.principal_id = up.id AND b.org_id = $1 AND b.principal_type = 'group' LIMIT 1`,
		orgID, groupID)
	return found, t.d.mapErr(err, fmt.Sprintf("group %q: grants above", groupID))
}
