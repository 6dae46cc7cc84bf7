// Package storetest is the conformance suite of store.Store: one set of tests that every
// backend (SQLite, PostgreSQL) must pass. A backend's test calls Run with a function that
// opens a fresh, empty, migrated store.
//
// It may import the standard library and package store only.
package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// Run runs the whole suite. open must return a new, empty store for each call and arrange
// for it to be closed (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// tests is filled by the init functions of the topic files.
var tests []test

func register(ts ...test) { tests = append(tests, ts...) }

// update runs fn in Update and fails the test on error.
func update(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in View and fails the test on error.
func view(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// wantErr fails unless err wraps target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error = %v, want %v", what, err, target)
	}
}

// must fails the test on a non-nil error.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

var bg = context.Background()
