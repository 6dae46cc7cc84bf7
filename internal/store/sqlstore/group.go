package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rolecall/rolecall/internal/store"
)

// groupColNames are the columns scanGroup reads, in order (doc last, left out by bulk reads).
const groupColNames = "seq, id, org_id, display_name, external_id, active, version, created, last_modified"

var (
	groupColsNoDoc = prefixCols("g", groupColNames)
	groupCols      = groupColsNoDoc + ", g.doc"
)

func scanGroup(sc interface{ Scan(...any) error }, withDoc bool) (store.Group, error) {
	var g store.Group
	dest := []any{&g.Seq, &g.ID, &g.OrgID, &g.DisplayName, &g.ExternalID, &g.Active,
		&g.Version, timeCol{&g.Created}, timeCol{&g.LastModified}}
	if withDoc {
		dest = append(dest, jsonCol{&g.Doc})
	}
	err := sc.Scan(dest...)
	return g, err
}

// CreateGroup inserts a group; a taken displayName (case-insensitively, among live groups)
// is ErrConflict.
func (t *tx) CreateGroup(ctx context.Context, g store.Group) (store.Group, error) {
	if err := t.writableIn(ctx, "CreateGroup", g.OrgID); err != nil {
		return store.Group{}, err
	}
	if g.DisplayName == "" {
		return store.Group{}, fmt.Errorf("%w: group: displayName is empty", store.ErrInvalid)
	}
	if err := t.orgExists(ctx, g.OrgID); err != nil {
		return store.Group{}, err
	}
	if g.ID == "" {
		g.ID = newID()
	}
	g.Created = norm(g.Created)
	if g.LastModified.IsZero() {
		g.LastModified = g.Created
	}
	g.LastModified = norm(g.LastModified)
	g.Version = 1
	g.Deleted = false
	err := t.one(ctx, `INSERT INTO groups (id, org_id, display_name, display_name_lower, external_id, active, doc,
			version, created, last_modified)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)
		ON CONFLICT DO NOTHING RETURNING seq`,
		[]any{g.ID, g.OrgID, g.DisplayName, fold(g.DisplayName), g.ExternalID, g.Active, jsonArg(g.Doc),
			t.d.t(g.Created), t.d.t(g.LastModified)}, &g.Seq)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Group{}, fmt.Errorf("%w: group %q (displayName or id taken)", store.ErrConflict, g.DisplayName)
	}
	if err != nil {
		return store.Group{}, t.d.mapErr(err, fmt.Sprintf("group %q", g.DisplayName))
	}
	return g, nil
}

// getGroup reads one live group; args[0] is the org id. Inside Update the row stays locked
// until commit (lockedRead).
func (t *tx) getGroup(ctx context.Context, what, where string, args ...any) (store.Group, error) {
	if err := t.ready(); err != nil {
		return store.Group{}, err
	}
	lock, err := t.lockedRead(ctx, "read group", args[0].(string), "g")
	if err != nil {
		return store.Group{}, err
	}
	rows, err := t.query(ctx, "SELECT "+groupCols+" FROM groups g WHERE g.org_id = $1 AND g.deleted_at IS NULL AND "+where+lock, args...)
	if err != nil {
		return store.Group{}, t.d.mapErr(err, what)
	}
	return t.oneGroup(rows, what)
}

// oneGroup reads the single group rows returns, or ErrNotFound naming what.
func (t *tx) oneGroup(rows *countedRows, what string) (store.Group, error) {
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.Group{}, t.d.mapErr(err, what)
		}
		return store.Group{}, fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	g, err := scanGroup(rows, true)
	if err != nil {
		return store.Group{}, t.d.mapErr(err, what)
	}
	return g, nil
}

// Group returns a live group by id.
func (t *tx) Group(ctx context.Context, orgID, id string) (store.Group, error) {
	return t.getGroup(ctx, fmt.Sprintf("group %q", id), "g.id = $2", orgID, id)
}

// GroupByName returns a live group by displayName, case-insensitively.
func (t *tx) GroupByName(ctx context.Context, orgID, displayName string) (store.Group, error) {
	return t.getGroup(ctx, fmt.Sprintf("group %q", displayName), "g.display_name_lower = $2", orgID, fold(displayName))
}

// UpdateGroup replaces displayName, externalId, active and Doc when the version is still
// expectVersion (0: any), in one conditional UPDATE.
func (t *tx) UpdateGroup(ctx context.Context, g store.Group, expectVersion int64) (store.Group, error) {
	if err := t.writableIn(ctx, "UpdateGroup", g.OrgID); err != nil {
		return store.Group{}, err
	}
	if g.DisplayName == "" {
		return store.Group{}, fmt.Errorf("%w: group %q: displayName is empty", store.ErrInvalid, g.ID)
	}
	taken, err := t.exists(ctx, `SELECT 1 FROM groups WHERE org_id = $1 AND display_name_lower = $2
		AND deleted_at IS NULL AND id <> $3`, g.OrgID, fold(g.DisplayName), g.ID)
	if err != nil {
		return store.Group{}, t.d.mapErr(err, fmt.Sprintf("group %q", g.ID))
	}
	if taken {
		// Unless this group is gone (see UpdateUser).
		if err := t.stillLive(ctx, "groups", g.OrgID, g.ID, fmt.Sprintf("group %q", g.ID)); err != nil {
			return store.Group{}, err
		}
		return store.Group{}, fmt.Errorf("%w: group %q (displayName taken)", store.ErrConflict, g.DisplayName)
	}
	g.LastModified = now()
	g.Deleted = false
	err = t.one(ctx, `UPDATE groups SET display_name = $3, display_name_lower = $4, external_id = $5, active = $6,
			doc = $7, version = version + 1, last_modified = $8
		WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL AND (CAST($9 AS BIGINT) = 0 OR version = $9)
		RETURNING seq, version, created`,
		[]any{g.OrgID, g.ID, g.DisplayName, fold(g.DisplayName), g.ExternalID, g.Active, jsonArg(g.Doc),
			t.d.t(g.LastModified), expectVersion},
		&g.Seq, &g.Version, timeCol{&g.Created})
	if errors.Is(err, sql.ErrNoRows) {
		return store.Group{}, t.versionError(ctx, "groups", fmt.Sprintf("group %q", g.ID), g.OrgID, g.ID, expectVersion)
	}
	if err != nil {
		return store.Group{}, t.d.mapErr(err, fmt.Sprintf("group %q", g.DisplayName))
	}
	return g, nil
}

// TouchGroup bumps a live group's version and lastModified.
func (t *tx) TouchGroup(ctx context.Context, orgID, id string) (store.Group, error) {
	if err := t.writableIn(ctx, "TouchGroup", orgID); err != nil {
		return store.Group{}, err
	}
	what := fmt.Sprintf("group %q", id)
	rows, err := t.query(ctx, `UPDATE groups SET version = version + 1, last_modified = $3
		WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING `+groupColNames+`, doc`,
		orgID, id, t.d.t(now()))
	if err != nil {
		return store.Group{}, t.d.mapErr(err, what)
	}
	return t.oneGroup(rows, what)
}

// DeleteGroup soft-deletes a group. Its bindings and membership rows stay (audit, undo) but
// every membership read ignores deleted groups on either side of an edge.
func (t *tx) DeleteGroup(ctx context.Context, orgID, id string, expectVersion int64) error {
	if err := t.writableIn(ctx, "DeleteGroup", orgID); err != nil {
		return err
	}
	what := fmt.Sprintf("group %q", id)
	ts := t.d.t(now())
	t.forgetLive()
	n, err := t.exec(ctx, `UPDATE groups SET deleted_at = $3, last_modified = $3, version = version + 1
		WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL AND (CAST($4 AS BIGINT) = 0 OR version = $4)`, orgID, id, ts, expectVersion)
	if err != nil {
		return t.d.mapErr(err, what)
	}
	if n == 0 {
		return t.versionError(ctx, "groups", what, orgID, id, expectVersion)
	}
	return t.d.mapErr(t.touchContaining(ctx, orgID, store.MemberGroup, id, ts), what)
}

// touchContaining bumps the version and lastModified of every live group that has the
// member as a direct member. Deleting a user or a group takes it out of those groups'
// member lists (the user's rows are deleted, a deleted group's are ignored by every read),
// so their ETags must change as an explicit member change would change them; a client
// holding an old ETag would otherwise be answered 304 for a list that is no longer true.
func (t *tx) touchContaining(ctx context.Context, orgID string, mt store.MemberType, memberID string, ts any) error {
	_, err := t.exec(ctx, `UPDATE groups SET version = version + 1, last_modified = $3
		WHERE org_id = $1 AND deleted_at IS NULL AND id IN (SELECT m.group_id FROM memberships m
			WHERE m.member_id = $2 AND m.member_type = $4 AND m.org_id = $1)`, orgID, memberID, ts, string(mt))
	return err
}

// ListGroups returns a page of live groups matching q and the total matching (-1 when
// q.SkipTotal).
func (t *tx) ListGroups(ctx context.Context, orgID string, q store.Query) ([]store.Group, int, error) {
	return listPage(t, ctx, groupsEntity, orgID, groupCols, q,
		func(r *countedRows) (store.Group, error) { return scanGroup(r, true) },
		func(g store.Group) int64 { return g.Seq })
}

// ScanGroups streams the org's live groups in Seq order, without Doc.
// ScanGroupsSelected: the selection is evaluated by the engine, so that only the selected
// rows are read out (what costs in a scan of the org's groups). The value lists travel as
// one parameter each (dialect.list).
func (t *tx) ScanGroupsSelected(ctx context.Context, orgID string, sel store.GroupSelection, fn func(store.Group) error) error {
	// ASCII lower-casing alike in both engines: SQLite's lower() touches only ASCII letters
	// (modernc.org/sqlite has no ICU), PostgreSQL's depends on the locale, so it translates.
	// A name with a non-ASCII character has more bytes than characters in both.
	lower, nonASCII := "lower(g.display_name)", "length(CAST(g.display_name AS BLOB)) <> length(g.display_name)"
	if t.d.name == dialectPostgres {
		lower = "translate(g.display_name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
		nonASCII = "octet_length(g.display_name) <> char_length(g.display_name)"
	}
	args := []any{orgID, t.d.listArg(sel.ExternalIDs), t.d.listArg(sel.IDs)}
	// A few strings (the usual case: a resource's names) are one parameter each: a list
	// subquery would be evaluated again for every row.
	contains := "EXISTS (SELECT 1 FROM " + t.d.list(4) + " AS c WHERE " + t.d.strpos + "(" + lower + ", c.v) > 0)"
	if len(sel.Contains) <= 8 {
		contains = "FALSE"
		for _, c := range sel.Contains {
			args = append(args, c)
			contains += fmt.Sprintf(" OR %s(%s, $%d) > 0", t.d.strpos, lower, len(args))
		}
	} else {
		args = append(args, t.d.listArg(sel.Contains))
	}
	return t.stream(ctx, "scan selected groups",
		"SELECT "+groupColsNoDoc+" FROM groups g WHERE g.org_id = $1 AND g.deleted_at IS NULL AND ("+contains+
			" OR g.external_id IN (SELECT v FROM "+t.d.list(2)+" AS e)"+
			" OR g.id IN (SELECT v FROM "+t.d.list(3)+" AS i)"+
			" OR "+nonASCII+") ORDER BY g.seq",
		args, func(r *countedRows) error {
			g, err := scanGroup(r, false)
			if err != nil {
				return err
			}
			return fn(g)
		})
}

func (t *tx) ScanGroups(ctx context.Context, orgID string, fn func(store.Group) error) error {
	return t.stream(ctx, "scan groups",
		"SELECT "+groupColsNoDoc+" FROM groups g WHERE g.org_id = $1 AND g.deleted_at IS NULL ORDER BY g.seq",
		[]any{orgID}, func(r *countedRows) error {
			g, err := scanGroup(r, false)
			if err != nil {
				return err
			}
			return fn(g)
		})
}
