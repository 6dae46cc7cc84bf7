package adminapi

import (
	"net/http"

	"github.com/rolecall/rolecall/internal/service"
)

// Read-only views of the SCIM directory: users with the groups they are in, groups with their
// members (paged). Identity providers own this data; the admin API never changes it.

// listUsers lists users by userName, paged; q narrows to userNames starting with it.
func (s *API) listUsers(w http.ResponseWriter, r *http.Request) {
	page, err := adminPage(r.URL.Query())
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	out, total, err := s.svc.Users(r.Context(), orgOf(r), service.UserQuery{Prefix: r.URL.Query().Get("q"), Page: page})
	list(s, w, r, out, total, err)
}

// getUser answers a user (by id or userName) with the groups it is directly in.
func (s *API) getUser(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.User(r.Context(), orgOf(r), r.PathValue("user"))
	s.answer(w, r, http.StatusOK, v, err)
}

// listGroups lists groups by displayName, paged; q narrows to names starting with it.
func (s *API) listGroups(w http.ResponseWriter, r *http.Request) {
	page, err := adminPage(r.URL.Query())
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	out, total, err := s.svc.Groups(r.Context(), orgOf(r), r.URL.Query().Get("q"), page)
	list(s, w, r, out, total, err)
}

// getGroup answers a group (by id or displayName) with its member count and the groups it
// is directly in.
func (s *API) getGroup(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.Group(r.Context(), orgOf(r), r.PathValue("group"))
	s.answer(w, r, http.StatusOK, v, err)
}

// listGroupMembers lists one page of a group's direct members, ordered by member id.
func (s *API) listGroupMembers(w http.ResponseWriter, r *http.Request) {
	page, err := adminPage(r.URL.Query())
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	out, total, err := s.svc.GroupMembers(r.Context(), orgOf(r), r.PathValue("group"), page)
	list(s, w, r, out, total, err)
}
