package sqlstore_test

import (
	"testing"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// TestCapabilities: SQLite compares text by its bytes, so SCIM text range filters may be
// pushed down to it; PostgreSQL's collation does not, and a wrapper that does not forward
// the capabilities claims nothing.
func TestCapabilities(t *testing.T) {
	want := map[string]bool{"sqlite": true, "postgres": false}
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			st := sqltest.Open(t, b.DSN(t))
			if got := store.CapabilitiesOf(st).ByteOrderText; got != want[b.Name] {
				t.Errorf("ByteOrderText = %v, want %v", got, want[b.Name])
			}
			if got := store.CapabilitiesOf(wrapped{st}); got != (store.Capabilities{}) {
				t.Errorf("a wrapper's capabilities = %+v, want none", got)
			}
		})
	}
}

type wrapped struct{ store.Store }
