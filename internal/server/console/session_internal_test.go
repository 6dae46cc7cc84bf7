package console

import (
	"testing"
	"time"
)

func TestUISessionExpiry(t *testing.T) {
	now := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	ss := newUISessions()
	ss.now = func() time.Time { return now }
	soon := now.Add(2 * time.Hour)
	cases := []struct {
		name    string
		expiry  *time.Time
		steps   []time.Duration // uses, each after the previous
		aliveAt []bool
	}{
		{"used often lives to the max", nil, []time.Duration{50 * time.Minute, 50 * time.Minute, 10 * time.Hour, 55 * time.Minute}, []bool{true, true, false, false}},
		{"idle ends", nil, []time.Duration{30 * time.Minute, uiSessionIdle}, []bool{true, false}},
		{"token expiry ends it sooner", &soon, []time.Duration{50 * time.Minute, 50 * time.Minute, 25 * time.Minute}, []bool{true, true, false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now = time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
			id, _ := ss.create(uiSession{OrgID: "o", TokenID: "t"}, c.expiry)
			for i, d := range c.steps {
				now = now.Add(d)
				if _, ok := ss.get(id); ok != c.aliveAt[i] {
					t.Fatalf("step %d (%s): alive=%v, want %v", i, now.Format(time.Kitchen), ok, c.aliveAt[i])
				}
			}
		})
	}
	if _, ok := ss.get("not-a-session"); ok {
		t.Fatal("an unknown id has a session")
	}
}

func TestUISafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "/ui/users",
		"/ui/groups?q=a":        "/ui/groups?q=a",
		"/ui":                   "/ui",
		"https://evil.example/": "/ui/users",
		"//evil.example/ui/":    "/ui/users",
		"/\\evil.example":       "/ui/users",
		"/api/v1/users":         "/ui/users",
		"/ui/signin":            "/ui/users",
		"/uix":                  "/ui/users",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
