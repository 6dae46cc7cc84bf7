package main

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
)

// store keeps every user and group in memory behind one lock (groups check that members
// exist). A stored user's attribute map is never changed in place: PATCH builds a new one, so
// a representation handed to the library can be marshalled after the lock is released.
type store struct {
	mu          sync.RWMutex
	users       map[string]*userRec
	userByName  map[string]string // lower-cased userName → id (userName is caseExact=false)
	userOrder   []string          // ids in creation order: the order pages are walked in
	groups      map[string]*groupRec
	groupByName map[string]string // lower-cased displayName → id
	groupOrder  []string
}

type userRec struct {
	id       string
	ext      optional.String
	attrs    scim.ResourceAttributes
	created  time.Time
	modified time.Time
}

type groupRec struct {
	id          string
	displayName string
	ext         optional.String
	members     map[string]struct{} // a set: one member added or removed in O(1) at any size
	created     time.Time
	modified    time.Time
}

func newStore() *store {
	return &store{
		users: map[string]*userRec{}, userByName: map[string]string{},
		groups: map[string]*groupRec{}, groupByName: map[string]string{},
	}
}

// newID returns a random UUID (version 4).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// takeExternalID moves externalId out of the attributes (the library renders it from
// Resource.ExternalID) and drops password, which is writeOnly and never returned.
func takeExternalID(attrs scim.ResourceAttributes) (scim.ResourceAttributes, optional.String) {
	out := make(scim.ResourceAttributes, len(attrs))
	var ext optional.String
	for k, v := range attrs {
		switch k {
		case "externalId":
			if s, ok := v.(string); ok {
				ext = optional.NewString(s)
			}
		case "password":
		default:
			out[k] = v
		}
	}
	return out, ext
}

// removeID deletes id from an ordered id list.
func removeID(order []string, id string) []string {
	for i, v := range order {
		if v == id {
			return append(order[:i], order[i+1:]...)
		}
	}
	return order
}

// page cuts one page out of matches for startIndex (1-based) and count.
func page(matches []scim.Resource, startIndex, count int) scim.Page {
	start := min(max(startIndex-1, 0), len(matches))
	end := min(start+max(count, 0), len(matches))
	res := make([]scim.Resource, end-start)
	copy(res, matches[start:end])
	return scim.Page{TotalResults: len(matches), Resources: res}
}

// notFound is the library's 404 for an unknown id.
func notFound(id string) error { return scimerrors.ScimErrorResourceNotFound(id) }

// badValue is a 400 invalidValue with a detail.
func badValue(format string, args ...any) error {
	return scimerrors.ScimError{ScimType: scimerrors.ScimTypeInvalidValue, Detail: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// badPath is a 400 invalidPath with a detail.
func badPath(format string, args ...any) error {
	return scimerrors.ScimError{ScimType: scimerrors.ScimTypeInvalidPath, Detail: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// excludesMembers reports whether the request asked for excludedAttributes=members, which
// the library leaves to the handler.
func excludesMembers(r *http.Request) bool {
	for _, a := range strings.Split(r.URL.Query().Get("excludedAttributes"), ",") {
		if strings.EqualFold(strings.TrimSpace(a), "members") {
			return true
		}
	}
	return false
}
