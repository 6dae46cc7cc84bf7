package sqlstore

import "github.com/rolecall/rolecall/internal/store"

// Capabilities reports what the backend evaluates as package scim does: SQLite compares text
// by its bytes (BINARY collation); PostgreSQL's collation orders text by locale rules, so
// text range comparisons stay in memory there.
func (s *Store) Capabilities() store.Capabilities {
	return store.Capabilities{ByteOrderText: s.d.name == "sqlite"}
}
