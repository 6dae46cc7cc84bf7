package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRootRedirectsToConsole: a browser opened on the server's address lands on the console;
// other unknown paths still answer 404.
func TestRootRedirectsToConsole(t *testing.T) {
	s, _ := newOpsServer(t, Config{})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/ui" {
		t.Errorf("GET /: %d Location %q; want 302 to /ui", res.StatusCode, res.Header.Get("Location"))
	}
	res, err = c.Get(srv.URL + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope: %d, want 404", res.StatusCode)
	}
}
