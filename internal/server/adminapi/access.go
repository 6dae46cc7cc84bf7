package adminapi

import (
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
)

// Effective access, the access-review export and explain, computed by the service from one
// snapshot of the org.

// userAccess answers one user's effective access: its groups and every resource it holds a
// role on, implicit access included.
func (s *API) userAccess(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.UserAccess(r.Context(), orgOf(r), r.PathValue("user"))
	s.answer(w, r, http.StatusOK, v, err)
}

// accessReview answers the access-review export of the org.
func (s *API) accessReview(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.AccessReview(r.Context(), orgOf(r))
	s.answer(w, r, http.StatusOK, v, err)
}

// accessReviewRows answers the access review as rows, one per principal and resource with
// the source of the role: what the CSV exports hold.
func (s *API) accessReviewRows(w http.ResponseWriter, r *http.Request) {
	rows, err := s.svc.AccessReviewRows(r.Context(), orgOf(r))
	s.answer(w, r, http.StatusOK, api.AccessReviewRows{Items: rows, Total: len(rows)}, err)
}

// explainAccess lists every source of a user's access: on one resource when resourceKind
// (and resource, for clouds and projects) is given, else on every resource where the user
// has a source.
func (s *API) explainAccess(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v, err := s.svc.Explain(r.Context(), orgOf(r), r.PathValue("user"), q.Get("resourceKind"), q.Get("resource"))
	s.answer(w, r, http.StatusOK, v, err)
}
