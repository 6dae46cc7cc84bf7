package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(
		test{"Tokens", testTokens},
		test{"Audit", testAudit},
		test{"Runs", testRuns},
	)
}

func hashOf(secret string) []byte { h := sha256.Sum256([]byte(secret)); return h[:] }

func testTokens(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	other := newOrg(t, s, "other")
	exp := store.Now().Add(24 * time.Hour)
	var scim, admin store.Token
	update(t, s, func(tx store.Tx) error {
		var err error
		scim, err = tx.CreateToken(bg, store.Token{OrgID: o.ID, Name: "okta", Scope: store.ScopeSCIM, Hash: hashOf("s1"),
			CreatedBy: "bootstrap", ExpiresAt: &exp})
		if err != nil {
			return err
		}
		admin, err = tx.CreateToken(bg, store.Token{OrgID: o.ID, Name: "admin", Scope: store.ScopeAdmin, Hash: hashOf("s2")})
		if err != nil {
			return err
		}
		// The same name in another org is fine.
		_, err = tx.CreateToken(bg, store.Token{OrgID: other.ID, Name: "okta", Scope: store.ScopeSCIM, Hash: hashOf("s3")})
		return err
	})
	if scim.ID == "" || scim.CreatedAt.IsZero() || scim.ExpiresAt == nil || !scim.ExpiresAt.Equal(exp) {
		t.Fatalf("CreateToken = %+v", scim)
	}
	for _, tc := range []struct {
		name string
		tk   store.Token
		want error
	}{
		{"name taken", store.Token{Name: "OKTA", Scope: store.ScopeSCIM, Hash: hashOf("s4")}, store.ErrConflict},
		{"secret taken", store.Token{Name: "x", Scope: store.ScopeSCIM, Hash: hashOf("s1")}, store.ErrConflict},
		{"no name", store.Token{Scope: store.ScopeSCIM, Hash: hashOf("s5")}, store.ErrInvalid},
		{"bad scope", store.Token{Name: "y", Scope: "root", Hash: hashOf("s6")}, store.ErrInvalid},
		{"no hash", store.Token{Name: "z", Scope: store.ScopeAdmin}, store.ErrInvalid},
	} {
		tk := tc.tk
		tk.OrgID = o.ID
		err := s.Update(bg, func(tx store.Tx) error { _, err := tx.CreateToken(bg, tk); return err })
		wantErr(t, "CreateToken "+tc.name, err, tc.want)
	}
	view(t, s, func(tx store.Tx) error {
		got, err := tx.TokenByHash(bg, hashOf("s1"))
		must(t, "TokenByHash", err)
		if got.ID != scim.ID || got.OrgID != o.ID || got.Scope != store.ScopeSCIM || !bytes.Equal(got.Hash, hashOf("s1")) ||
			got.CreatedBy != "bootstrap" || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) || got.RevokedAt != nil || got.LastUsedAt != nil {
			t.Errorf("TokenByHash = %+v", got)
		}
		_, err = tx.TokenByHash(bg, hashOf("wrong"))
		wantErr(t, "TokenByHash(wrong)", err, store.ErrNotFound)
		_, err = tx.TokenByHash(bg, nil)
		wantErr(t, "TokenByHash(nil)", err, store.ErrNotFound)
		got, err = tx.Token(bg, o.ID, admin.ID)
		must(t, "Token", err)
		if got.Name != "admin" || got.ExpiresAt != nil {
			t.Errorf("Token = %+v", got)
		}
		got, err = tx.TokenByName(bg, o.ID, "OKTA")
		must(t, "TokenByName", err)
		if got.ID != scim.ID {
			t.Errorf("TokenByName = %+v", got)
		}
		list, err := tx.ListTokens(bg, o.ID)
		must(t, "ListTokens", err)
		if len(list) != 2 || list[0].Name != "admin" || list[1].Name != "okta" {
			t.Errorf("ListTokens = %+v", list)
		}
		return nil
	})
	first := store.Now().Add(-time.Minute)
	update(t, s, func(tx store.Tx) error {
		got, err := tx.RevokeToken(bg, o.ID, scim.ID, first)
		if err != nil {
			return err
		}
		if got.RevokedAt == nil || !got.RevokedAt.Equal(first) {
			t.Errorf("RevokeToken = %+v", got)
		}
		got, err = tx.RevokeToken(bg, o.ID, scim.ID, first.Add(time.Hour))
		if err != nil {
			return err
		}
		if !got.RevokedAt.Equal(first) {
			t.Errorf("second RevokeToken moved RevokedAt to %v", got.RevokedAt)
		}
		_, err = tx.RevokeToken(bg, o.ID, "nope", first)
		wantErr(t, "RevokeToken(nope)", err, store.ErrNotFound)
		return nil
	})
	used := store.Now()
	update(t, s, func(tx store.Tx) error {
		return tx.TouchToken(bg, admin.ID, used.Add(-time.Second), "PATCH /Groups/…")
	})
	// A touch without a request keeps the last one recorded.
	update(t, s, func(tx store.Tx) error { return tx.TouchToken(bg, admin.ID, used, "") })
	err := s.Update(bg, func(tx store.Tx) error { return tx.TouchToken(bg, "nope", used, "GET /Users") })
	wantErr(t, "TouchToken(nope)", err, store.ErrNotFound)
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Token(bg, o.ID, admin.ID)
		must(t, "Token", err)
		if got.LastUsedAt == nil || !got.LastUsedAt.Equal(used) {
			t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, used)
		}
		if got.LastRequest != "PATCH /Groups/…" {
			t.Errorf("LastRequest = %q, want the last one recorded", got.LastRequest)
		}
		ts, err := tx.ListTokens(bg, o.ID)
		must(t, "ListTokens", err)
		for _, tk := range ts {
			if tk.ID == admin.ID && tk.LastRequest != "PATCH /Groups/…" {
				t.Errorf("ListTokens: LastRequest = %q", tk.LastRequest)
			}
		}
		got, err = tx.TokenByHash(bg, hashOf("s1"))
		must(t, "TokenByHash(revoked)", err) // revoked tokens are still found: the caller refuses them
		if got.RevokedAt == nil {
			t.Errorf("revoked token without RevokedAt")
		}
		return nil
	})
}

func testAudit(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	other := newOrg(t, s, "other")
	t0 := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	type ev struct {
		actor, action, tt, tid string
		at                     time.Time
		name, subjectID        string
	}
	evs := []ev{
		{"okta", "scim.user.create", "user", "u1", t0, "alice@example.com", ""},
		{"okta", "scim.user.update", "user", "u1", t0.Add(time.Minute), "alice@example.com", ""},
		{"admin", "grant.create", "binding", "b1", t0.Add(2 * time.Minute), "owner on prod to alice@example.com", "u1"},
		{"okta", "scim.group.create", "group", "g1", t0.Add(3 * time.Minute), "engineering", ""},
		{"system", "enforce.apply", "org", o.ID, t0.Add(4 * time.Minute), "", ""},
	}
	var appended []store.AuditEvent
	update(t, s, func(tx store.Tx) error {
		for i, e := range evs {
			var before json.RawMessage
			if i > 0 {
				before = json.RawMessage(`{"n":` + strconv.Itoa(i) + `}`)
			}
			ae := store.AuditEvent{OrgID: o.ID, Time: e.at, Actor: e.actor, Action: e.action,
				TargetType: e.tt, TargetID: e.tid, Before: before, After: json.RawMessage(`{"ok":true}`), RequestID: "r" + strconv.Itoa(i),
				TargetName: e.name, Summary: e.actor + " did " + e.action}
			if e.subjectID != "" {
				ae.SubjectType, ae.SubjectID, ae.SubjectName = "user", e.subjectID, "alice@example.com"
			}
			got, err := tx.AppendAudit(bg, ae)
			if err != nil {
				return err
			}
			appended = append(appended, got)
		}
		_, err := tx.AppendAudit(bg, store.AuditEvent{OrgID: other.ID, Actor: "x", Action: "other.thing"})
		return err
	})
	for i := 1; i < len(appended); i++ {
		if appended[i].Seq <= appended[i-1].Seq {
			t.Fatalf("audit Seq not increasing: %d then %d", appended[i-1].Seq, appended[i].Seq)
		}
	}
	err := s.Update(bg, func(tx store.Tx) error {
		_, err := tx.AppendAudit(bg, store.AuditEvent{OrgID: "nope", Action: "x"})
		return err
	})
	wantErr(t, "AppendAudit(unknown org)", err, store.ErrNotFound)
	actions := func(es []store.AuditEvent) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Action)
		}
		return out
	}
	view(t, s, func(tx store.Tx) error {
		all, total, err := tx.ListAudit(bg, o.ID, store.AuditQuery{Page: store.Page{Limit: 100}})
		must(t, "ListAudit", err)
		want := []string{"enforce.apply", "scim.group.create", "grant.create", "scim.user.update", "scim.user.create"}
		if total != 5 || !slices.Equal(actions(all), want) {
			t.Fatalf("ListAudit = %v (%d), want newest first %v", actions(all), total, want)
		}
		e := all[3]
		if e.Actor != "okta" || e.TargetType != "user" || e.TargetID != "u1" || e.RequestID != "r1" || !e.Time.Equal(t0.Add(time.Minute)) ||
			!jsonEqual(e.Before, []byte(`{"n":1}`)) || !jsonEqual(e.After, []byte(`{"ok":true}`)) || e.OrgID != o.ID {
			t.Errorf("event = %+v", e)
		}
		if g := all[2]; g.TargetName != "owner on prod to alice@example.com" || g.Summary != "admin did grant.create" ||
			g.SubjectType != "user" || g.SubjectID != "u1" || g.SubjectName != "alice@example.com" {
			t.Errorf("names, summary and subject did not come back: %+v", g)
		}
		if all[4].Before != nil {
			t.Errorf("nil Before came back as %q", all[4].Before)
		}
		for _, tc := range []struct {
			name string
			q    store.AuditQuery
			want []string
		}{
			{"actor", store.AuditQuery{Actor: "okta"}, []string{"scim.group.create", "scim.user.update", "scim.user.create"}},
			{"action", store.AuditQuery{Action: "grant.create"}, []string{"grant.create"}},
			{"target", store.AuditQuery{TargetType: "user", TargetID: "u1"}, []string{"scim.user.update", "scim.user.create"}},
			{"since (inclusive)", store.AuditQuery{Since: t0.Add(3 * time.Minute)}, []string{"enforce.apply", "scim.group.create"}},
			{"until (exclusive)", store.AuditQuery{Until: t0.Add(time.Minute)}, []string{"scim.user.create"}},
			{"window and actor", store.AuditQuery{Since: t0.Add(time.Minute), Until: t0.Add(4 * time.Minute), Actor: "okta"}, []string{"scim.group.create", "scim.user.update"}},
			{"nothing", store.AuditQuery{Actor: "nobody"}, nil},
			{"action prefix", store.AuditQuery{Actions: []string{"scim."}}, []string{"scim.group.create", "scim.user.update", "scim.user.create"}},
			{"action list", store.AuditQuery{Actions: []string{"enforce.", "grant.create", "scim.user"}}, []string{"enforce.apply", "grant.create"}},
			{"about an id (target or subject)", store.AuditQuery{About: []string{"u1"}}, []string{"grant.create", "scim.user.update", "scim.user.create"}},
			{"about a recorded name", store.AuditQuery{About: []string{"engineering"}}, []string{"scim.group.create"}},
			{"about a subject's name", store.AuditQuery{About: []string{"nobody", "alice@example.com"}}, []string{"grant.create", "scim.user.update", "scim.user.create"}},
			{"about and action", store.AuditQuery{About: []string{"u1"}, Actions: []string{"grant."}}, []string{"grant.create"}},
		} {
			q := tc.q
			q.Page.Limit = 100
			got, total, err := tx.ListAudit(bg, o.ID, q)
			must(t, "ListAudit "+tc.name, err)
			if !slices.Equal(actions(got), tc.want) || total != len(tc.want) {
				t.Errorf("ListAudit %s = %v (%d), want %v", tc.name, actions(got), total, tc.want)
			}
		}
		page, total, err := tx.ListAudit(bg, o.ID, store.AuditQuery{Page: store.Page{Offset: 1, Limit: 2}})
		must(t, "ListAudit(page)", err)
		if total != 5 || !slices.Equal(actions(page), want[1:3]) {
			t.Errorf("ListAudit(offset 1, limit 2) = %v (%d)", actions(page), total)
		}
		none, total, err := tx.ListAudit(bg, o.ID, store.AuditQuery{})
		must(t, "ListAudit(count)", err)
		if len(none) != 0 || total != 5 {
			t.Errorf("ListAudit(limit 0) = %d, %d", len(none), total)
		}
		// The cursor lists what came after it, oldest first (follow new events).
		after, _, err := tx.ListAudit(bg, o.ID, store.AuditQuery{Page: store.Page{After: appended[2].Seq, Limit: 10}})
		must(t, "ListAudit(after)", err)
		if !slices.Equal(actions(after), []string{"scim.group.create", "enforce.apply"}) {
			t.Errorf("ListAudit(after) = %v", actions(after))
		}
		return nil
	})
}

func testRuns(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	plan := json.RawMessage(`{"changes":[{"user":"alice","removed":true}]}`)
	at := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	var bs []store.Binding
	for i := 0; i < 1100; i++ { // more than one batch
		bs = append(bs, store.Binding{ID: "b" + strconv.Itoa(10000+i), OrgID: o.ID, ResourceID: "r1", PrincipalType: store.PrincipalUser,
			PrincipalID: "u" + strconv.Itoa(i%7), Role: "owner", CreatedAt: at.Add(time.Duration(i) * time.Second), CreatedBy: "admin"})
	}
	users := []store.RunUser{
		{UserID: "u2", UserName: "zed", WasActive: true, VersionAfter: 4},
		{UserID: "u1", UserName: "alice", WasActive: false, VersionAfter: 9},
	}
	var r1, r2 store.Run
	update(t, s, func(tx store.Tx) error {
		var err error
		r1, err = tx.CreateRun(bg, store.Run{OrgID: o.ID, Actor: "admin", Fingerprint: "fp1", Plan: plan, CreatedAt: at}, bs, users)
		if err != nil {
			return err
		}
		r2, err = tx.CreateRun(bg, store.Run{OrgID: o.ID, Actor: "admin", Fingerprint: "fp2", Plan: json.RawMessage(`{}`)}, nil, nil)
		return err
	})
	if r1.ID == "" || r1.DeletedBindings != 1100 || r1.RemovedUsers != 2 || !r1.CreatedAt.Equal(at) || r1.UndoneAt != nil {
		t.Fatalf("CreateRun = %+v", r1)
	}
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Run(bg, o.ID, r1.ID)
		must(t, "Run", err)
		if got.ID != r1.ID || got.Actor != "admin" || got.Fingerprint != "fp1" || !jsonEqual(got.Plan, plan) ||
			got.DeletedBindings != 1100 || got.RemovedUsers != 2 || !got.CreatedAt.Equal(at) || got.UndoneAt != nil || got.UndoResult != nil {
			t.Errorf("Run = %+v", got)
		}
		_, err = tx.Run(bg, o.ID, "nope")
		wantErr(t, "Run(nope)", err, store.ErrNotFound)
		list, total, err := tx.ListRuns(bg, o.ID, store.Page{Limit: 10})
		must(t, "ListRuns", err)
		if total != 2 || len(list) != 2 || list[0].ID != r2.ID || list[1].ID != r1.ID {
			t.Errorf("ListRuns = %+v (%d), want newest first", list, total)
		}
		list, total, err = tx.ListRuns(bg, o.ID, store.Page{Offset: 1, Limit: 10})
		must(t, "ListRuns(offset)", err)
		if total != 2 || len(list) != 1 || list[0].ID != r1.ID {
			t.Errorf("ListRuns(offset 1) = %+v", list)
		}
		var rb []store.Binding
		must(t, "RunBindings", tx.RunBindings(bg, o.ID, r1.ID, func(b store.Binding) error { rb = append(rb, b); return nil }))
		if len(rb) != len(bs) {
			t.Fatalf("RunBindings = %d bindings, want %d", len(rb), len(bs))
		}
		for i := range bs {
			if rb[i] != bs[i] {
				t.Errorf("RunBindings[%d] = %+v, want %+v", i, rb[i], bs[i])
				break
			}
		}
		ru, err := tx.RunUsers(bg, o.ID, r1.ID)
		must(t, "RunUsers", err)
		if len(ru) != 2 || ru[0] != users[1] || ru[1] != users[0] {
			t.Errorf("RunUsers = %+v", ru)
		}
		ru, err = tx.RunUsers(bg, o.ID, r2.ID)
		must(t, "RunUsers(empty)", err)
		if len(ru) != 0 {
			t.Errorf("RunUsers(r2) = %+v", ru)
		}
		_, err = tx.RunUsers(bg, o.ID, "nope")
		wantErr(t, "RunUsers(nope)", err, store.ErrNotFound)
		err = tx.RunBindings(bg, o.ID, "nope", func(store.Binding) error { return nil })
		wantErr(t, "RunBindings(nope)", err, store.ErrNotFound)
		return nil
	})
	undoneAt := store.Now()
	result := json.RawMessage(`{"restored":1100,"skipped":0}`)
	update(t, s, func(tx store.Tx) error {
		got, err := tx.MarkRunUndone(bg, o.ID, r1.ID, undoneAt, "admin2", result)
		if err != nil {
			return err
		}
		if got.UndoneAt == nil || !got.UndoneAt.Equal(undoneAt) || got.UndoneBy != "admin2" || !jsonEqual(got.UndoResult, result) {
			t.Errorf("MarkRunUndone = %+v", got)
		}
		return nil
	})
	err := s.Update(bg, func(tx store.Tx) error {
		_, err := tx.MarkRunUndone(bg, o.ID, r1.ID, undoneAt, "again", nil)
		return err
	})
	wantErr(t, "MarkRunUndone twice", err, store.ErrConflict)
	err = s.Update(bg, func(tx store.Tx) error {
		_, err := tx.MarkRunUndone(bg, o.ID, "nope", undoneAt, "x", nil)
		return err
	})
	wantErr(t, "MarkRunUndone(nope)", err, store.ErrNotFound)
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Run(bg, o.ID, r1.ID)
		must(t, "Run", err)
		if got.UndoneBy != "admin2" {
			t.Errorf("second MarkRunUndone changed the run: %+v", got)
		}
		return nil
	})
}
