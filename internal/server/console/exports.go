package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/enforce"
)

// The access review page and the exports: the access review and the enforce-groups preview
// as CSV and JSON downloads (Content-Disposition: attachment), the same documents as
// rolecall access review -o csv|json and rolecall scim enforce-groups --dry-run -o csv|json.
// They are GETs that read one snapshot and change nothing.

type uiAccessData struct {
	Review *access.Review
	Rows   []access.ReviewRow
}

// accessReview shows the org's access review with the source of every role.
func (c *console) accessReview(w http.ResponseWriter, r *http.Request) {
	rv, err := c.cfg.Service.AccessReview(r.Context(), orgOf(r))
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	rows, err := c.cfg.Service.AccessReviewRows(r.Context(), orgOf(r))
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "access", uiView{Title: "Access review", Nav: "access", Data: uiAccessData{Review: rv, Rows: rows}})
}

// download answers body as an attachment named name-<UTC date>.ext: a browser saves it
// instead of showing it.
func download(w http.ResponseWriter, name, ext, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s"`, name, time.Now().UTC().Format("2006-01-02"), ext))
	h.Set("Cache-Control", "no-store") // access data: not for shared caches
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func jsonBody(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return append(b, '\n'), err
}

// accessReviewCSV downloads the review's rows as CSV.
func (c *console) accessReviewCSV(w http.ResponseWriter, r *http.Request) {
	rows, err := c.cfg.Service.AccessReviewRows(r.Context(), orgOf(r))
	var b bytes.Buffer
	if err == nil {
		err = access.WriteReviewCSV(&b, rows)
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	download(w, "access-review", "csv", "text/csv; charset=utf-8", b.Bytes())
}

// accessReviewJSON downloads the review document (GET /api/v1/access).
func (c *console) accessReviewJSON(w http.ResponseWriter, r *http.Request) {
	rv, err := c.cfg.Service.AccessReview(r.Context(), orgOf(r))
	var b []byte
	if err == nil {
		b, err = jsonBody(rv)
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	download(w, "access-review", "json", "application/json", b)
}

// enforcePreviewCSV downloads a fresh enforce-groups preview, one line per change.
func (c *console) enforcePreviewCSV(w http.ResponseWriter, r *http.Request) {
	pv, err := c.cfg.Enforce.Preview(r.Context(), orgOf(r))
	var b bytes.Buffer
	if err == nil {
		err = enforce.WritePlanCSV(&b, &pv.Plan)
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	download(w, "enforce-preview", "csv", "text/csv; charset=utf-8", b.Bytes())
}

// enforcePreviewJSON downloads a fresh enforce-groups preview as the plan document
// (docs/enforce-plan.md), as rolecall scim enforce-groups --dry-run -o json prints it.
func (c *console) enforcePreviewJSON(w http.ResponseWriter, r *http.Request) {
	pv, err := c.cfg.Enforce.Preview(r.Context(), orgOf(r))
	var b []byte
	if err == nil {
		b, err = jsonBody(pv.Plan)
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	download(w, "enforce-preview", "json", "application/json", b)
}
