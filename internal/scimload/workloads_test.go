package scimload

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testToken = "test-token-0123456789"

// startFake serves a fakeSCIM with the given fault and returns it with its SCIM base URL.
func startFake(t *testing.T, fault string) (*fakeSCIM, string) {
	t.Helper()
	f := newFake(testToken, fault)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL + "/scim/v2"
}

// small returns a configuration small enough for a unit test.
func small(url, workload string) Config {
	return Config{BaseURL: url, Token: testToken, Workload: workload, N: 120, Concurrency: 4, Setup: 40,
		Members: 200, Bulk: 30, Batch: 20, Batches: 2, Groups: 3, Count: 7, Prefix: "t"}
}

func TestWorkloadsAgainstFake(t *testing.T) {
	tests := []struct {
		workload  string
		kinds     []string
		wantOps   int64
		checkFake func(t *testing.T, f *fakeSCIM)
	}{
		{"provision", []string{"create_user"}, 120, func(t *testing.T, f *fakeSCIM) {
			if len(f.users) != 120 {
				t.Errorf("fake holds %d users, want 120", len(f.users))
			}
			if _, ok := f.userByName["t-119@example.com"]; !ok {
				t.Errorf("user t-119@example.com was not created")
			}
		}},
		{"lookup", []string{"lookup"}, 120, func(t *testing.T, f *fakeSCIM) {
			if len(f.users) != 40 {
				t.Errorf("fake holds %d users, want the 40 of setup", len(f.users))
			}
		}},
		{"deactivate", []string{"deactivate"}, 120, func(t *testing.T, f *fakeSCIM) {
			for _, u := range f.users {
				if u.Active {
					t.Errorf("user %s still active", u.UserName)
				}
			}
		}},
		{"groups", []string{"create_group", "add_members"}, 120, func(t *testing.T, f *fakeSCIM) {
			if len(f.groups) != 40 { // 120 requests / (1 create + 2 batches)
				t.Errorf("fake holds %d groups, want 40", len(f.groups))
			}
			for _, g := range f.groups {
				if len(g.members) != 40 { // 2 batches of 20 distinct users
					t.Errorf("group %s has %d members, want 40", g.name, len(g.members))
				}
			}
		}},
		{"biggroup", []string{"add_member", "remove_member"}, 120, func(t *testing.T, f *fakeSCIM) {
			if len(f.groups) != 1 {
				t.Fatalf("fake holds %d groups, want 1", len(f.groups))
			}
			for _, g := range f.groups {
				if len(g.members) != 200 {
					t.Errorf("big group ends with %d members, want 200", len(g.members))
				}
			}
		}},
		{"pagewalk", []string{"page"}, 120, nil},
		{"mixed", []string{"lookup", "lookup_miss", "create_user", "patch_user", "group_lookup", "add_member", "remove_member"}, 120, func(t *testing.T, f *fakeSCIM) {
			// 120 requests: 6 full rounds of 19 tasks (20 requests) → 6 creates.
			if got := len(f.users); got != 40+6 {
				t.Errorf("fake holds %d users, want 46", got)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.workload, func(t *testing.T) {
			f, url := startFake(t, "")
			res, err := Run(context.Background(), small(url, tc.workload))
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != 0 || res.VerifyErrors != 0 {
				t.Fatalf("errors %d, verify errors %d: %v", res.Errors, res.VerifyErrors, res.ErrorDetails)
			}
			if res.Ops != tc.wantOps {
				t.Errorf("ops %d, want %d", res.Ops, tc.wantOps)
			}
			for _, k := range tc.kinds {
				if res.Kinds[k].Ops == 0 {
					t.Errorf("no %s requests recorded; kinds: %v", k, res.Kinds)
				}
			}
			if res.Throughput <= 0 || res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 {
				t.Errorf("implausible figures: %+v", res)
			}
			if tc.checkFake != nil {
				tc.checkFake(t, f)
			}
		})
	}
}

func TestBigGroupReportsBulkPatches(t *testing.T) {
	_, url := startFake(t, "")
	res, err := Run(context.Background(), small(url, "biggroup"))
	if err != nil {
		t.Fatal(err)
	}
	if res.BulkAddMs == nil || res.BulkRemoveMs == nil || *res.BulkAddMs <= 0 {
		t.Fatalf("bulk timings missing: %+v", res)
	}
	if res.BulkSize != 30 || res.GroupSize != 200 {
		t.Errorf("bulk size %d, group size %d; want 30 and 200", res.BulkSize, res.GroupSize)
	}
}

func TestMixedProportions(t *testing.T) {
	_, url := startFake(t, "")
	c := small(url, "mixed")
	c.N = 20 * 10 // ten rounds
	res, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"lookup": 100, "lookup_miss": 10, "create_user": 10, "patch_user": 40, "group_lookup": 20}
	for k, n := range want {
		if got := res.Kinds[k].Ops; got != n {
			t.Errorf("%s: %d requests, want %d", k, got, n)
		}
	}
	if got := res.Kinds["add_member"].Ops + res.Kinds["remove_member"].Ops; got != 20 {
		t.Errorf("membership changes: %d, want 20", got)
	}
}

// A server that answers quickly but wrongly must show up as errors, with details.
func TestChecksCatchWrongServers(t *testing.T) {
	tests := []struct {
		workload, fault, detail string
	}{
		{"provision", faultWrongUserName, "201 with userName"},
		{"lookup", faultLookupEmpty, "totalResults 0"},
		{"lookup", faultNoListSchema, "without schema"},
		{"deactivate", faultPatchActive, "left active true"},
		{"groups", faultPatch400, "status 400"},
		{"pagewalk", faultTotalPlusOne, "empty page at startIndex 41 of totalResults 41"},
		{"mixed", faultGroupName, "returned"},
	}
	for _, tc := range tests {
		t.Run(tc.workload+"/"+tc.fault, func(t *testing.T) {
			_, url := startFake(t, tc.fault)
			res, err := Run(context.Background(), small(url, tc.workload))
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors == 0 {
				t.Fatalf("a wrong server produced no errors: %+v", res)
			}
			if res.Throughput >= float64(res.Ops)/res.ElapsedS {
				t.Errorf("errors counted as throughput: %.1f ops/s", res.Throughput)
			}
			if len(res.ErrorDetails) == 0 || len(res.ErrorDetails) > 5 {
				t.Fatalf("want 1..5 error details, got %d", len(res.ErrorDetails))
			}
			if !strings.Contains(strings.Join(res.ErrorDetails, "\n"), tc.detail) {
				t.Errorf("details do not mention %q: %v", tc.detail, res.ErrorDetails)
			}
		})
	}
}

func TestBigGroupVerifiesMembership(t *testing.T) {
	_, url := startFake(t, faultKeepMembers)
	res, err := Run(context.Background(), small(url, "biggroup"))
	if err != nil {
		t.Fatal(err)
	}
	if res.VerifyErrors == 0 {
		t.Fatalf("a group that never loses members passed verification: %+v", res)
	}
}

func TestSetupFailureStopsTheRun(t *testing.T) {
	_, url := startFake(t, faultCreate500)
	_, err := Run(context.Background(), small(url, "lookup"))
	if err == nil || !strings.Contains(err.Error(), "setup create 40 users") {
		t.Fatalf("want a setup error, got %v", err)
	}
}

func TestReuseLooksUpAnExistingPopulation(t *testing.T) {
	f, url := startFake(t, "")
	seed := small(url, "provision")
	seed.Prefix, seed.N = "seed", 50
	if _, err := Run(context.Background(), seed); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"lookup", "deactivate"} {
		c := small(url, w)
		c.Reuse, c.Setup = "seed", 50
		res, err := Run(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if res.Errors != 0 || res.Population != 50 {
			t.Fatalf("%s over a reused population: %+v", w, res)
		}
	}
	if len(f.users) != 50 {
		t.Errorf("reuse created users: fake holds %d, want 50", len(f.users))
	}
}

func TestDurationBoundsTheRun(t *testing.T) {
	f, url := startFake(t, "")
	c := small(url, "lookup")
	c.N, c.Duration = 1<<30, 150*time.Millisecond
	start := time.Now()
	res, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a 150ms run took %v", took)
	}
	if res.Ops == 0 || res.Ops >= int64(c.N) {
		t.Errorf("ops %d: want some, and fewer than N", res.Ops)
	}
	if res.ElapsedS > 2 {
		t.Errorf("measured phase lasted %.2fs", res.ElapsedS)
	}
	_ = f
}

func TestWrongTokenIsAnError(t *testing.T) {
	_, url := startFake(t, "")
	c := small(url, "provision")
	c.Token = "wrong"
	res, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != res.Ops || !strings.Contains(res.ErrorDetails[0], "status 401") {
		t.Fatalf("want every request refused with 401: %+v", res)
	}
}

func TestConfigRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		mut  func(*Config)
		want string
	}{
		{"unknown workload", func(c *Config) { c.Workload = "nope" }, "unknown workload"},
		{"no url", func(c *Config) { c.BaseURL = "" }, "-url is required"},
		{"bad url", func(c *Config) { c.BaseURL = "ftp://x" }, "want http(s)"},
		{"negative", func(c *Config) { c.N = -1 }, "must not be negative"},
		{"prefix with quote", func(c *Config) { c.Prefix = `a"b` }, "-prefix"},
		{"reuse with space", func(c *Config) { c.Reuse = "a b" }, "-reuse"},
		{"batch over setup", func(c *Config) { c.Workload, c.Batch, c.Setup = "groups", 50, 10 }, "-batch 50"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := small("http://127.0.0.1:1/scim/v2", "provision")
			tc.mut(&c)
			_, err := Run(context.Background(), c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}
