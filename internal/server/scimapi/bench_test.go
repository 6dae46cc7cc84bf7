package scimapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
)

// Benchmarks of the SCIM budgets over HTTP on SQLite (DESIGN.md, performance budget). The
// directory size defaults to 20,000 users so that they run in seconds; set
// ROLECALL_BENCH_USERS (e.g. 1000000) for the budget's sizes. Run with:
//
//	go test ./internal/server -run '^$' -bench SCIM -benchmem

func benchUsers() int {
	if n, err := strconv.Atoi(os.Getenv("ROLECALL_BENCH_USERS")); err == nil && n > 0 {
		return n
	}
	return 20000
}

// benchEnv is a server on SQLite with n users created directly in the store.
func benchEnv(b *testing.B, n int) (*scimEnv, []string) {
	b.Helper()
	e := newSCIMEnv(b, server.Config{})
	ctx := context.Background()
	const batch = 5000
	for start := 0; start < n; start += batch {
		err := e.st.Update(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				name := fmt.Sprintf("user%07d@example.com", i)
				u, err := tx.CreateUser(ctx, store.User{OrgID: e.org, UserName: name, Active: true,
					Emails: []store.Email{{Value: name, Type: "work", Primary: true}},
					Doc:    json.RawMessage(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"name":{"givenName":"G","familyName":"F"}}`)})
				if err != nil {
					return err
				}
				e.benchIDs = append(e.benchIDs, u.ID)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return e, e.benchIDs
}

func BenchmarkSCIMCreateUser(b *testing.B) {
	e, _ := benchEnv(b, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"new%d@example.com","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"new%d@example.com","type":"work","primary":true}],"active":true}`, i, i)
		e.must(201, "POST", "/scim/v2/Users", body)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
}

// BenchmarkSCIMCreateUserParallel is the sustained-rate budget: concurrent clients, as an
// IdP's initial cycle runs them.
func BenchmarkSCIMCreateUserParallel(b *testing.B) {
	e, _ := benchEnv(b, 0)
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"p%d@example.com","emails":[{"value":"p%d@example.com","type":"work","primary":true}],"active":true}`, i, i)
			req, _ := http.NewRequest("POST", e.srv.URL+"/scim/v2/Users", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+e.token)
			req.Header.Set("Content-Type", "application/scim+json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 201 {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
}

func BenchmarkSCIMFilterUserName(b *testing.B) {
	n := benchUsers()
	e, _ := benchEnv(b, n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		f := url.QueryEscape(fmt.Sprintf(`userName eq "user%07d@example.com"`, (i*7919)%n))
		r := e.must(200, "GET", "/scim/v2/Users?filter="+f, nil)
		if jnum(r.doc, "totalResults") != 1 {
			b.Fatalf("no match: %s", r.body)
		}
	}
}

func BenchmarkSCIMMemberAddRemove(b *testing.B) {
	n := min(benchUsers(), 100000)
	e, ids := benchEnv(b, n+1)
	ctx := context.Background()
	var gid string
	err := e.st.Update(ctx, func(tx store.Tx) error {
		g, err := tx.CreateGroup(ctx, store.Group{OrgID: e.org, DisplayName: "big", Active: true, Doc: json.RawMessage(`{}`)})
		if err != nil {
			return err
		}
		gid = g.ID
		_, err = tx.AddMembers(ctx, e.org, g.ID, ids[:n])
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	extra := ids[n]
	add := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`, extra)
	remove := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"%s\"]"}]}`, extra)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		body := add
		if i%2 == 1 {
			body = remove
		}
		e.must(204, "PATCH", "/scim/v2/Groups/"+gid, body)
	}
}

func BenchmarkSCIMPatch10kMembers(b *testing.B) {
	e, ids := benchEnv(b, 10000)
	gid := e.newGroup("ten-k")
	benchPatch10k(b, e, gid, ids)
}

// BenchmarkSCIMPatch10kMembersGranted is the 10,000-member PATCH when the access changes its
// events carry are not empty: the group holds a cloud role (the cloud has 20 projects, 2
// public), and every user is also in another group with a role on one of the projects, so
// each membership event lists the user's changes and each user's other sources are read.
func BenchmarkSCIMPatch10kMembersGranted(b *testing.B) {
	e, ids := benchEnv(b, 10000)
	gid := e.newGroup("ten-k")
	everyone := e.newGroup("everyone", ids...)
	ctx := context.Background()
	err := e.st.Update(ctx, func(tx store.Tx) error {
		cloud, err := tx.CreateResource(ctx, store.Resource{OrgID: e.org, Kind: store.KindCloud, Name: "prod", CreatedAt: store.Now()})
		if err != nil {
			return err
		}
		var projects []store.Resource
		for i := range 20 {
			p, err := tx.CreateResource(ctx, store.Resource{OrgID: e.org, Kind: store.KindProject, Name: fmt.Sprint("p", i),
				ParentID: cloud.ID, Public: i < 2, CreatedAt: store.Now()})
			if err != nil {
				return err
			}
			projects = append(projects, p)
		}
		for _, bd := range []store.Binding{
			{ResourceID: cloud.ID, PrincipalType: store.PrincipalGroup, PrincipalID: gid, Role: "readonly"},
			{ResourceID: projects[5].ID, PrincipalType: store.PrincipalGroup, PrincipalID: everyone, Role: "collaborator"},
		} {
			bd.OrgID, bd.CreatedAt = e.org, store.Now()
			if _, _, err := tx.CreateBinding(ctx, bd); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	benchPatch10k(b, e, gid, ids)
}

// benchPatch10k times PATCHes alternately adding and removing ids as members of gid.
func benchPatch10k(b *testing.B, e *scimEnv, gid string, ids []string) {
	values := make([]map[string]any, len(ids))
	for i, id := range ids {
		values[i] = map[string]any{"value": id}
	}
	add, _ := json.Marshal(scimPatchBody(scimOp("add", "members", values)))
	remove, _ := json.Marshal(scimPatchBody(scimOp("remove", "members", values)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		body := add
		if i%2 == 1 {
			body = remove
		}
		e.must(204, "PATCH", "/scim/v2/Groups/"+gid, body)
	}
}
