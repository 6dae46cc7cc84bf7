package adminapi

import "net/http"

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

// explainAccess lists every source of a user's access: on one resource when resourceKind
// (and resource, for clouds and projects) is given, else on every resource where the user
// has a source.
func (s *API) explainAccess(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v, err := s.svc.Explain(r.Context(), orgOf(r), r.PathValue("user"), q.Get("resourceKind"), q.Get("resource"))
	s.answer(w, r, http.StatusOK, v, err)
}
