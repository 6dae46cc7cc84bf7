package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rolecall/rolecall/internal/store"
)

// userColNames are the columns scanUser reads, in order (doc last, left out by bulk reads).
const userColNames = "seq, id, org_id, user_name, external_id, display_name, active, removed, version, created, last_modified"

var (
	userColsNoDoc = prefixCols("u", userColNames)
	userCols      = userColsNoDoc + ", u.doc"
)

func scanUser(sc interface{ Scan(...any) error }, withDoc bool) (store.User, error) {
	var u store.User
	dest := []any{&u.Seq, &u.ID, &u.OrgID, &u.UserName, &u.ExternalID, &u.DisplayName, &u.Active, &u.Removed,
		&u.Version, timeCol{&u.Created}, timeCol{&u.LastModified}}
	if withDoc {
		dest = append(dest, jsonCol{&u.Doc})
	}
	err := sc.Scan(dest...)
	return u, err
}

func userWhat(u store.User) string {
	if u.UserName != "" {
		return fmt.Sprintf("user %q", u.UserName)
	}
	return fmt.Sprintf("user %q", u.ID)
}

// CreateUser inserts a user; a taken userName (case-insensitively, among live users) is
// ErrConflict. The insert uses ON CONFLICT DO NOTHING rather than catching the violation,
// because a failed statement aborts a PostgreSQL transaction.
func (t *tx) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	if err := t.writableIn(ctx, "CreateUser", u.OrgID); err != nil {
		return store.User{}, err
	}
	if u.UserName == "" {
		return store.User{}, fmt.Errorf("%w: user: userName is empty", store.ErrInvalid)
	}
	if err := t.orgExists(ctx, u.OrgID); err != nil {
		return store.User{}, err
	}
	if u.ID == "" {
		u.ID = newID()
	}
	u.Created = norm(u.Created)
	if u.LastModified.IsZero() {
		u.LastModified = u.Created
	}
	u.LastModified = norm(u.LastModified)
	u.Version = 1
	u.Removed = u.Removed && !u.Active
	err := t.one(ctx, `INSERT INTO users (id, org_id, user_name, user_name_lower, external_id, display_name,
			display_name_lower, active, removed, doc, version, created, last_modified)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12)
		ON CONFLICT DO NOTHING RETURNING seq`,
		[]any{u.ID, u.OrgID, u.UserName, fold(u.UserName), u.ExternalID, u.DisplayName, fold(u.DisplayName),
			u.Active, u.Removed, jsonArg(u.Doc), t.d.t(u.Created), t.d.t(u.LastModified)}, &u.Seq)
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, fmt.Errorf("%w: %s (userName or id taken)", store.ErrConflict, userWhat(u))
	}
	if err != nil {
		return store.User{}, t.d.mapErr(err, userWhat(u))
	}
	if err := t.insertEmails(ctx, u.OrgID, u.ID, u.Emails); err != nil {
		return store.User{}, err
	}
	return u, nil
}

func (t *tx) insertEmails(ctx context.Context, orgID, userID string, emails []store.Email) error {
	// In batches: one statement for all of them would pass the engines' parameter limits
	// (SQLite 32,766, PostgreSQL 65,535; 7 per email) at a few thousand emails, which a
	// request within the body limit can hold.
	pos := 0
	err := chunks(emails, insertBatch, func(part []store.Email) error {
		args := make([]any, 0, len(part)*7)
		for _, e := range part {
			args = append(args, orgID, userID, pos, e.Value, fold(e.Value), e.Type, e.Primary)
			pos++
		}
		_, err := t.exec(ctx, `INSERT INTO user_emails (org_id, user_id, pos, value, value_lower, type, is_primary) VALUES `+
			t.d.valuesList(len(part), 7), args...)
		return err
	})
	return t.d.mapErr(err, fmt.Sprintf("emails of user %q", userID))
}

// loadEmails fills in the emails of users with one query.
func (t *tx) loadEmails(ctx context.Context, orgID string, users []store.User) error {
	if len(users) == 0 {
		return nil
	}
	idx := make(map[string]int, len(users))
	ids := make([]string, len(users))
	for i, u := range users {
		idx[u.ID] = i
		ids[i] = u.ID
	}
	return chunks(ids, listBatch, func(ids []string) error {
		rows, err := t.query(ctx, `SELECT e.user_id, e.value, e.type, e.is_primary `+t.d.drive(2, "user_emails e")+`
			WHERE e.user_id = l.v AND `+t.d.orgOf("e", 1)+` ORDER BY e.user_id, e.pos`, orgID, t.d.listArg(ids))
		if err != nil {
			return t.d.mapErr(err, "user emails")
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var e store.Email
			if err := rows.Scan(&id, &e.Value, &e.Type, &e.Primary); err != nil {
				return t.d.mapErr(err, "user emails")
			}
			if i, ok := idx[id]; ok {
				users[i].Emails = append(users[i].Emails, e)
			}
		}
		return t.d.mapErr(rows.Err(), "user emails")
	})
}

// getUser reads one live user; args[0] is the org id. Inside Update the row stays locked
// until commit (lockedRead).
func (t *tx) getUser(ctx context.Context, what, where string, args ...any) (store.User, error) {
	if err := t.ready(); err != nil {
		return store.User{}, err
	}
	lock, err := t.lockedRead(ctx, "read user", args[0].(string), "u")
	if err != nil {
		return store.User{}, err
	}
	rows, err := t.query(ctx, "SELECT "+userCols+" FROM users u WHERE u.org_id = $1 AND u.deleted_at IS NULL AND "+where+lock, args...)
	if err != nil {
		return store.User{}, t.d.mapErr(err, what)
	}
	var u store.User
	found := false
	if rows.Next() {
		u, err = scanUser(rows, true)
		found = err == nil
	}
	if err == nil {
		err = rows.Err()
	}
	rows.Close()
	if err != nil {
		return store.User{}, t.d.mapErr(err, what)
	}
	if !found {
		return store.User{}, fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	us := []store.User{u}
	if err := t.loadEmails(ctx, u.OrgID, us); err != nil {
		return store.User{}, err
	}
	return us[0], nil
}

// User returns a live user by id.
func (t *tx) User(ctx context.Context, orgID, id string) (store.User, error) {
	return t.getUser(ctx, fmt.Sprintf("user %q", id), "u.id = $2", orgID, id)
}

// UserByUserName returns a live user by userName, case-insensitively.
func (t *tx) UserByUserName(ctx context.Context, orgID, userName string) (store.User, error) {
	return t.getUser(ctx, fmt.Sprintf("user %q", userName), "u.user_name_lower = $2", orgID, fold(userName))
}

// versionError explains why a conditional update of a live row matched nothing: the row is
// gone (ErrNotFound) or its version moved (ErrVersionMismatch).
func (t *tx) versionError(ctx context.Context, table, what, orgID, id string, expect int64) error {
	var v int64
	err := t.one(ctx, "SELECT version FROM "+table+" WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL",
		[]any{orgID, id}, &v)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	if err != nil {
		return t.d.mapErr(err, what)
	}
	return fmt.Errorf("%w: %s is at version %d, not %d", store.ErrVersionMismatch, what, v, expect)
}

// stillLive returns ErrNotFound naming what unless row id of table is live in the org.
func (t *tx) stillLive(ctx context.Context, table, orgID, id, what string) error {
	live, err := t.exists(ctx, "SELECT 1 FROM "+table+" WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL", orgID, id)
	if err != nil {
		return t.d.mapErr(err, what)
	}
	if !live {
		return fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	return nil
}

// UpdateUser replaces a user's attributes when its version is still expectVersion (0: any).
// The version check and the write are one conditional UPDATE, so concurrent writers cannot
// both succeed from the same version.
func (t *tx) UpdateUser(ctx context.Context, u store.User, expectVersion int64) (store.User, error) {
	if err := t.writableIn(ctx, "UpdateUser", u.OrgID); err != nil {
		return store.User{}, err
	}
	if u.UserName == "" {
		return store.User{}, fmt.Errorf("%w: user %q: userName is empty", store.ErrInvalid, u.ID)
	}
	u.Removed = u.Removed && !u.Active
	u.LastModified = now()
	// The userName check rides on the UPDATE: one statement when the update goes through,
	// and only when it matches no row do we look for why (name taken, user gone, version).
	err := t.one(ctx, `UPDATE users SET user_name = $3, user_name_lower = $4, external_id = $5, display_name = $6,
			display_name_lower = $7, active = $8, removed = $9, doc = $10, version = version + 1, last_modified = $11
		WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL AND (CAST($12 AS BIGINT) = 0 OR version = $12)
			AND NOT EXISTS (SELECT 1 FROM users o WHERE o.org_id = $1 AND o.user_name_lower = $4
				AND o.deleted_at IS NULL AND o.id <> $2)
		RETURNING seq, version, created`,
		[]any{u.OrgID, u.ID, u.UserName, fold(u.UserName), u.ExternalID, u.DisplayName, fold(u.DisplayName),
			u.Active, u.Removed, jsonArg(u.Doc), t.d.t(u.LastModified), expectVersion},
		&u.Seq, &u.Version, timeCol{&u.Created})
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, t.updateUserFailed(ctx, u, expectVersion)
	}
	if err != nil {
		return store.User{}, t.d.mapErr(err, userWhat(u))
	}
	// Most updates (active, a title) leave the emails as they are: reading them costs less
	// than deleting and inserting the same rows, which dirties their pages for the commit.
	same, err := t.emailsAre(ctx, u.OrgID, u.ID, u.Emails)
	if err != nil || same {
		return u, err
	}
	if _, err := t.exec(ctx, "DELETE FROM user_emails WHERE org_id = $1 AND user_id = $2", u.OrgID, u.ID); err != nil {
		return store.User{}, t.d.mapErr(err, userWhat(u))
	}
	if err := t.insertEmails(ctx, u.OrgID, u.ID, u.Emails); err != nil {
		return store.User{}, err
	}
	return u, nil
}

// updateUserFailed says why UpdateUser's UPDATE matched no row: the userName is another
// live user's (ErrConflict), or the user is gone or at another version (versionError).
func (t *tx) updateUserFailed(ctx context.Context, u store.User, expectVersion int64) error {
	taken, err := t.exists(ctx, `SELECT 1 FROM users WHERE org_id = $1 AND user_name_lower = $2
		AND deleted_at IS NULL AND id <> $3`, u.OrgID, fold(u.UserName), u.ID)
	if err != nil {
		return t.d.mapErr(err, userWhat(u))
	}
	if taken {
		// Unless this user is gone: on PostgreSQL a concurrent delete and re-create can free
		// and retake the name of a user this transaction read earlier (404, not 409).
		if err := t.stillLive(ctx, "users", u.OrgID, u.ID, fmt.Sprintf("user %q", u.ID)); err != nil {
			return err
		}
		return fmt.Errorf("%w: user %q (userName taken)", store.ErrConflict, u.UserName)
	}
	return t.versionError(ctx, "users", fmt.Sprintf("user %q", u.ID), u.OrgID, u.ID, expectVersion)
}

// emailsAre reports whether user id's stored emails are exactly emails, in order.
func (t *tx) emailsAre(ctx context.Context, orgID, id string, emails []store.Email) (bool, error) {
	rows, err := t.query(ctx, `SELECT value, type, is_primary FROM user_emails
		WHERE org_id = $1 AND user_id = $2 ORDER BY pos`, orgID, id)
	if err != nil {
		return false, t.d.mapErr(err, "user emails")
	}
	defer rows.Close()
	n := 0
	same := true
	for rows.Next() {
		var e store.Email
		if err := rows.Scan(&e.Value, &e.Type, &e.Primary); err != nil {
			return false, t.d.mapErr(err, "user emails")
		}
		same = same && n < len(emails) && emails[n] == e
		n++
	}
	return same && n == len(emails), t.d.mapErr(rows.Err(), "user emails")
}

// DeleteUser soft-deletes a user (its record stays for audit) and deletes its emails,
// memberships and bindings; its userName is free again.
func (t *tx) DeleteUser(ctx context.Context, orgID, id string, expectVersion int64) error {
	if err := t.writableIn(ctx, "DeleteUser", orgID); err != nil {
		return err
	}
	what := fmt.Sprintf("user %q", id)
	ts := t.d.t(now())
	t.forgetLive()
	n, err := t.exec(ctx, `UPDATE users SET deleted_at = $3, last_modified = $3, version = version + 1
		WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL AND (CAST($4 AS BIGINT) = 0 OR version = $4)`, orgID, id, ts, expectVersion)
	if err != nil {
		return t.d.mapErr(err, what)
	}
	if n == 0 {
		return t.versionError(ctx, "users", what, orgID, id, expectVersion)
	}
	if err := t.touchContaining(ctx, orgID, store.MemberUser, id, ts); err != nil {
		return t.d.mapErr(err, what)
	}
	for _, q := range []string{
		"DELETE FROM memberships WHERE org_id = $1 AND member_id = $2 AND member_type = 'user'",
		"DELETE FROM bindings WHERE org_id = $1 AND principal_id = $2 AND principal_type = 'user'",
		"DELETE FROM user_emails WHERE org_id = $1 AND user_id = $2",
		"DELETE FROM user_exemptions WHERE org_id = $1 AND user_id = $2",
	} {
		if _, err := t.exec(ctx, q, orgID, id); err != nil {
			return t.d.mapErr(err, what)
		}
	}
	return nil
}

// ListUsers returns a page of live users matching q, with their emails (one query for the
// page; only for the users q.EmailsFor accepts, when set), and the total matching (-1 when
// q.SkipTotal).
func (t *tx) ListUsers(ctx context.Context, orgID string, q store.Query) ([]store.User, int, error) {
	users, total, err := listPage(t, ctx, usersEntity, orgID, userCols, q,
		func(r *countedRows) (store.User, error) { return scanUser(r, true) },
		func(u store.User) int64 { return u.Seq })
	if err != nil {
		return nil, 0, err
	}
	if q.EmailsFor == nil {
		if err := t.loadEmails(ctx, orgID, users); err != nil {
			return nil, 0, err
		}
		return users, total, nil
	}
	var at []int // where each of need sits in users
	var need []store.User
	for i, u := range users {
		if q.EmailsFor(u) {
			at, need = append(at, i), append(need, u)
		}
	}
	if err := t.loadEmails(ctx, orgID, need); err != nil {
		return nil, 0, err
	}
	for j, i := range at {
		users[i].Emails = need[j].Emails
	}
	return users, total, nil
}

// SetUserRemoved marks a user removed by enforce-groups (and inactive), or restores it.
func (t *tx) SetUserRemoved(ctx context.Context, orgID, id string, removed, active bool) (store.User, error) {
	if err := t.writableIn(ctx, "SetUserRemoved", orgID); err != nil {
		return store.User{}, err
	}
	if removed {
		active = false
	}
	what := fmt.Sprintf("user %q", id)
	rows, err := t.query(ctx, `UPDATE users SET removed = $3, active = $4, version = version + 1, last_modified = $5
		WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
		RETURNING `+userColNames+`, doc`,
		orgID, id, removed, active, t.d.t(now()))
	if err != nil {
		return store.User{}, t.d.mapErr(err, what)
	}
	var u store.User
	found := false
	if rows.Next() {
		u, err = scanUser(rows, true)
		found = err == nil
	}
	if err == nil {
		err = rows.Err()
	}
	rows.Close()
	if err != nil {
		return store.User{}, t.d.mapErr(err, what)
	}
	if !found {
		return store.User{}, fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	us := []store.User{u}
	if err := t.loadEmails(ctx, orgID, us); err != nil {
		return store.User{}, err
	}
	return us[0], nil
}

// ScanUsers streams the org's live users in Seq order, without Doc and Emails.
func (t *tx) ScanUsers(ctx context.Context, orgID string, fn func(store.User) error) error {
	return t.stream(ctx, "scan users",
		"SELECT "+userColsNoDoc+" FROM users u WHERE u.org_id = $1 AND u.deleted_at IS NULL ORDER BY u.seq",
		[]any{orgID}, func(r *countedRows) error {
			u, err := scanUser(r, false)
			if err != nil {
				return err
			}
			return fn(u)
		})
}

// UserNames maps the given ids that are live users of the org to their userNames.
func (t *tx) UserNames(ctx context.Context, orgID string, ids []string) (map[string]string, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ids))
	err := chunks(dedupe(ids), listBatch, func(ids []string) error {
		rows, err := t.query(ctx, `SELECT u.id, u.user_name `+t.d.drive(2, "users u")+
			` WHERE u.id = l.v AND `+t.d.orgOf("u", 1)+` AND u.deleted_at IS NULL`, orgID, t.d.listArg(ids))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				return err
			}
			out[id] = name
		}
		return rows.Err()
	})
	if err != nil {
		return nil, t.d.mapErr(err, "user names")
	}
	return out, nil
}

// UserFlags returns ID, UserName, Active and Removed of the live users of the org among ids:
// one query per chunk of ids, each id a primary-key lookup.
func (t *tx) UserFlags(ctx context.Context, orgID string, ids []string) ([]store.User, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	out := make([]store.User, 0, len(ids))
	err := chunks(dedupe(ids), listBatch, func(part []string) error {
		rows, err := t.query(ctx, "SELECT u.id, u.user_name, u.active, u.removed "+t.d.drive(2, "users u")+
			" WHERE u.id = l.v AND "+t.d.orgOf("u", 1)+" AND u.deleted_at IS NULL", orgID, t.d.listArg(part))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u := store.User{OrgID: orgID}
			if err := rows.Scan(&u.ID, &u.UserName, &u.Active, &u.Removed); err != nil {
				return err
			}
			out = append(out, u)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, t.d.mapErr(err, "user flags")
	}
	return out, nil
}
