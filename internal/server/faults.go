package server

import (
	"net/http"
	"strconv"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/server/scimapi"
)

// The middleware's own answers, in the error format of the API the request addressed.

func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request) {
	msg := "request body larger than " + strconv.FormatInt(s.cfg.MaxBodyBytes, 10) + " bytes"
	if scimapi.IsSCIM(r) {
		scimapi.WriteError(w, http.StatusRequestEntityTooLarge, "", msg+" (see maxPayloadSize in /ServiceProviderConfig)")
		return
	}
	respond.JSON(w, http.StatusRequestEntityTooLarge, "application/json", api.Error{Status: 413, Code: api.CodeTooLarge, Message: msg})
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request) {
	msg := "internal error (request id " + respond.RequestID(r.Context()) + "); the server log has the details"
	if scimapi.IsSCIM(r) {
		scimapi.WriteError(w, http.StatusInternalServerError, "", msg)
		return
	}
	respond.JSON(w, http.StatusInternalServerError, "application/json", api.Error{Status: 500, Code: api.CodeInternal, Message: msg})
}
