package adminapi

import (
	"net/http"
	"strconv"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/respond"
)

// Webhook endpoints (/api/v1/webhooks): the service's use cases over HTTP, admin scope.

func (s *API) listWebhooks(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.Webhooks(r.Context(), orgOf(r))
	list(s, w, r, out, len(out), err)
}

func (s *API) createWebhook(w http.ResponseWriter, r *http.Request) {
	var req api.CreateWebhookRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	out, err := s.svc.CreateWebhook(r.Context(), orgOf(r), req)
	s.created(w, r, "/api/v1/webhooks/"+out.Endpoint.ID, out, err)
}

func (s *API) getWebhook(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.Webhook(r.Context(), orgOf(r), r.PathValue("webhook"))
	s.answer(w, r, http.StatusOK, out, err)
}

func (s *API) updateWebhook(w http.ResponseWriter, r *http.Request) {
	var req api.UpdateWebhookRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	out, err := s.svc.UpdateWebhook(r.Context(), orgOf(r), r.PathValue("webhook"), req)
	s.answer(w, r, http.StatusOK, out, err)
}

func (s *API) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.DeleteWebhook(r.Context(), orgOf(r), r.PathValue("webhook"))
	s.answer(w, r, http.StatusOK, out, err)
}

func (s *API) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) {
	var req api.RotateWebhookSecretRequest
	if r.ContentLength != 0 { // the body is optional
		if err := respond.DecodeJSON(r, &req); err != nil {
			s.adminError(w, r, err)
			return
		}
	}
	out, err := s.svc.RotateWebhookSecret(r.Context(), orgOf(r), r.PathValue("webhook"), req)
	s.answer(w, r, http.StatusOK, out, err)
}

func (s *API) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var before int64
	var limit int
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			s.adminError(w, r, adminBadRequest("before %q: use the next value of the previous page", v))
			return
		}
		before = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.adminError(w, r, adminBadRequest("limit %q: use a whole number from 1 to 1000", v))
			return
		}
		limit = n
	}
	out, err := s.svc.WebhookDeliveries(r.Context(), orgOf(r), r.PathValue("webhook"), before, q.Get("event"), limit)
	s.answer(w, r, http.StatusOK, out, err)
}

func (s *API) redeliverWebhook(w http.ResponseWriter, r *http.Request) {
	var req api.RedeliverRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	out, err := s.svc.Redeliver(r.Context(), orgOf(r), r.PathValue("webhook"), req)
	s.answer(w, r, http.StatusOK, out, err)
}

func (s *API) testWebhook(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.SendTestWebhook(r.Context(), orgOf(r), r.PathValue("webhook"))
	s.answer(w, r, http.StatusOK, out, err)
}
