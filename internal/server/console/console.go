// Package console is rolecall's web console at /ui: server-rendered html/template pages over
// the same service calls as the admin API (directory, resources, grants, audit log, access
// explained, enforce-groups preview, apply and undo), so that what the console shows and does
// is exactly what the API shows and does; its "check access" page asks the AuthZEN API's
// decision cache in-process. Its templates and assets are embedded (ui/); it needs no build
// step and reads without JavaScript. Sessions and CSRF are in session.go, the pages in
// directory.go, resources.go, check.go, webhooks.go, enforce.go and schedule.go (the drift
// schedule form).
//
// It may import service, service/enforcegroups, service/decisions, decision, access and
// enforce (review and plan types it shows and exports), rules (the rule-change preview it
// shows), auth, audit, api, store,
// server/respond and the standard library; never server, scimapi or adminapi.
package console

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/service/decisions"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
)

//go:embed ui/*.html ui/static/*
var uiFiles embed.FS

// uiPrefix is where the console is mounted.
const uiPrefix = "/ui"

// uiPageSize is how many rows a console list shows per page: enough to scan, small enough
// that a page renders fast on a 100k-user org.
const uiPageSize = 50

// Deps is what the console takes from the server.
type Deps struct {
	Service *service.Service
	Enforce *enforcegroups.Service
	Log     *slog.Logger
	// Authenticator checks the admin token a person signs in with.
	Authenticator *auth.Authenticator
	// BaseURL, when it is https, makes the session cookies Secure whatever the request says.
	BaseURL string
	// Decisions answers the "check access" page from the AuthZEN API's decision index.
	Decisions *decisions.Cache
}

// console is the web console: its templates and its session store. One per server.
type console struct {
	cfg      Deps
	pages    map[string]*template.Template
	sessions *uiSessions
	static   http.Handler
}

// Register adds the web console's routes to mux. Every route goes through secure (security headers);
// every page but sign-in goes through page, which needs a session (and on POST its CSRF
// token). Patterns are literals so that the route scan of the OpenAPI test can read them.
func Register(mux *http.ServeMux, d Deps) {
	c := newConsole(d)
	mux.Handle("GET /ui", c.secure(c.home))
	mux.Handle("GET /ui/{$}", c.secure(c.home))
	mux.Handle("GET /ui/signin", c.secure(c.signinForm))
	mux.Handle("POST /ui/signin", c.secure(c.signin))
	mux.Handle("POST /ui/signout", c.page(c.signout))
	mux.Handle("GET /ui/static/", c.secure(c.static.ServeHTTP))

	mux.Handle("GET /ui/users", c.page(c.users))
	mux.Handle("GET /ui/users/{user}", c.page(c.user))
	mux.Handle("POST /ui/users/{user}/exempt", c.page(c.userExempt))
	mux.Handle("POST /ui/users/{user}/unexempt", c.page(c.userUnexempt))
	mux.Handle("GET /ui/groups", c.page(c.groups))
	mux.Handle("GET /ui/groups/{group}", c.page(c.group))
	mux.Handle("GET /ui/clouds", c.page(c.clouds))
	mux.Handle("GET /ui/clouds/{cloud}", c.page(c.cloud))
	mux.Handle("GET /ui/projects", c.page(c.projects))
	mux.Handle("GET /ui/projects/{project}", c.page(c.project))
	mux.Handle("GET /ui/service-accounts", c.page(c.serviceAccounts))
	mux.Handle("GET /ui/service-accounts/{account}", c.page(c.serviceAccount))
	mux.Handle("GET /ui/audit", c.page(c.auditLog))
	mux.Handle("GET /ui/check", c.page(c.check))

	mux.Handle("POST /ui/clouds", c.page(c.cloudCreate))
	mux.Handle("POST /ui/clouds/{cloud}/rename", c.page(c.cloudRename))
	mux.Handle("GET /ui/clouds/{cloud}/delete", c.page(c.cloudDeleteConfirm))
	mux.Handle("POST /ui/clouds/{cloud}/delete", c.page(c.cloudDelete))
	mux.Handle("POST /ui/projects", c.page(c.projectCreate))
	mux.Handle("POST /ui/projects/{project}/rename", c.page(c.projectRename))
	mux.Handle("GET /ui/projects/{project}/delete", c.page(c.projectDeleteConfirm))
	mux.Handle("POST /ui/projects/{project}/delete", c.page(c.projectDelete))
	mux.Handle("POST /ui/service-accounts", c.page(c.serviceAccountCreate))
	mux.Handle("GET /ui/service-accounts/{account}/delete", c.page(c.serviceAccountDeleteConfirm))
	mux.Handle("POST /ui/service-accounts/{account}/delete", c.page(c.serviceAccountDelete))

	mux.Handle("GET /ui/tokens", c.page(c.tokens))
	mux.Handle("POST /ui/tokens", c.page(c.tokenCreate))
	mux.Handle("GET /ui/tokens/{token}/created", c.page(c.tokenCreated))
	mux.Handle("GET /ui/tokens/{token}/revoke", c.page(c.tokenRevokeConfirm))
	mux.Handle("POST /ui/tokens/{token}/revoke", c.page(c.tokenRevoke))
	mux.Handle("GET /ui/webhooks", c.page(c.webhooks))
	mux.Handle("POST /ui/webhooks", c.page(c.webhookCreate))
	mux.Handle("GET /ui/webhooks/{webhook}", c.page(c.webhook))
	mux.Handle("POST /ui/webhooks/{webhook}", c.page(c.webhookUpdate))
	mux.Handle("POST /ui/webhooks/{webhook}/enabled", c.page(c.webhookEnable))
	mux.Handle("POST /ui/webhooks/{webhook}/rotate", c.page(c.webhookRotate))
	mux.Handle("POST /ui/webhooks/{webhook}/test", c.page(c.webhookTest))
	mux.Handle("POST /ui/webhooks/{webhook}/redeliver", c.page(c.webhookRedeliver))
	mux.Handle("GET /ui/webhooks/{webhook}/delete", c.page(c.webhookDeleteConfirm))
	mux.Handle("POST /ui/webhooks/{webhook}/delete", c.page(c.webhookDelete))
	mux.Handle("GET /ui/settings", c.page(c.settings))
	mux.Handle("POST /ui/settings", c.page(c.settingsUpdate))
	mux.Handle("POST /ui/settings/exemptions", c.page(c.settingsExemptions))

	mux.Handle("POST /ui/grants", c.page(c.grantCreate))
	mux.Handle("POST /ui/grants/{grant}/role", c.page(c.grantChangeRole))
	mux.Handle("POST /ui/grants/{grant}/revoke", c.page(c.grantRevoke))

	mux.Handle("GET /ui/rules", c.page(c.rulesPage))
	mux.Handle("POST /ui/rules/preview", c.page(c.rulePreview))
	mux.Handle("POST /ui/rules/apply", c.page(c.ruleApply))
	mux.Handle("GET /ui/rules/{rule}/delete", c.page(c.ruleDeleteConfirm))
	mux.Handle("POST /ui/rules/changes/{change}/undo", c.page(c.ruleUndo))

	mux.Handle("GET /ui/enforce", c.page(c.enforcePage))
	mux.Handle("POST /ui/enforce/apply", c.page(c.enforceApply))
	mux.Handle("GET /ui/enforce/schedule", c.page(c.schedulePage))
	mux.Handle("POST /ui/enforce/schedule", c.page(c.scheduleSet))
	mux.Handle("POST /ui/enforce/schedule/off", c.page(c.scheduleOff))
	mux.Handle("GET /ui/enforce/runs/{run}", c.page(c.enforceRun))
	mux.Handle("GET /ui/enforce/runs/{run}/undo", c.page(c.enforceUndoConfirm))
	mux.Handle("POST /ui/enforce/runs/{run}/undo", c.page(c.enforceUndo))

	// The access review and the exports (exports.go).
	mux.Handle("GET /ui/access", c.page(c.accessReview))
	mux.Handle("GET /ui/access/review.csv", c.page(c.accessReviewCSV))
	mux.Handle("GET /ui/access/review.json", c.page(c.accessReviewJSON))
	mux.Handle("GET /ui/enforce/preview.csv", c.page(c.enforcePreviewCSV))
	mux.Handle("GET /ui/enforce/preview.json", c.page(c.enforcePreviewJSON))

	// Unknown pages need a session like any other, so that the 404 keeps the navigation
	// (and says nothing to a stranger about which pages exist).
	mux.Handle("/ui/", c.page(func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, http.StatusNotFound, "There is no console page at "+r.URL.Path+": pick a page from the navigation above.")
	}))
}

// page is a console page: security headers and a signed-in session.
func (c *console) page(h http.HandlerFunc) http.Handler { return c.secure(c.signedIn(h)) }

func newConsole(d Deps) *console {
	funcs := template.FuncMap{
		"time":       uiTime,
		"roleName":   roleName,
		"kindName":   func(k string) string { return strings.ReplaceAll(k, "_", " ") },
		"lastSeen":   func(t api.Token) string { return t.LastSeen(time.Now()) },
		"auditLabel": audit.Label,
		"join":       strings.Join,
		"add":        func(a, b int) int { return a + b },
		// grantActions is what a grant row's change-role and revoke forms need.
		"grantActions": func(v uiView, g api.Grant) map[string]any {
			return map[string]any{"G": g, "CSRF": v.Session.CSRF, "Back": v.Here, "Roles": uiRoles[g.ResourceKind]}
		},
		"roles":   func(kind string) []string { return uiRoles[kind] },
		"latency": uiLatency,
		// interval and scheduleDoes describe a drift schedule (schedule.go).
		"interval":     uiInterval,
		"scheduleDoes": scheduleDoes,
		// webhookBacklog is how many events (at most) an endpoint has still to receive.
		"webhookBacklog":     func(e api.WebhookEndpoint) int64 { return max(e.Revision-e.Cursor, 0) },
		"webhookDisabledWhy": webhookDisabledWhy,
		// dict passes several values to a partial template.
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"prettyJSON": func(b json.RawMessage) string {
			var out bytes.Buffer
			if len(b) == 0 || json.Indent(&out, b, "", "  ") != nil {
				return string(b)
			}
			return out.String()
		},
	}
	c := &console{cfg: d, pages: map[string]*template.Template{}, sessions: newUISessions()}
	names, err := fs.Glob(uiFiles, "ui/*.html")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		base := strings.TrimPrefix(name, "ui/")
		if base == "layout.html" {
			continue
		}
		// Each page is its own set (layout + shared partials + the page), so that every page
		// can define the "content" block without clashing with the others.
		c.pages[strings.TrimSuffix(base, ".html")] = template.Must(template.New(base).Funcs(funcs).
			ParseFS(uiFiles, "ui/layout.html", name))
	}
	static, err := fs.Sub(uiFiles, "ui/static")
	if err != nil {
		panic(err)
	}
	c.static = http.StripPrefix(uiPrefix+"/static/", staticHeaders(http.FileServerFS(static)))
	return c
}

// uiCSP allows nothing but the console's own stylesheet, script and form targets: no inline
// script or style, no framing, no plugins.
const uiCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the console's security headers on every answer under /ui, errors included.
func (c *console) secure(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", uiCSP)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		h(w, r)
	})
}

// staticHeaders lets browsers cache the assets briefly: they change only with the binary.
func staticHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		h.ServeHTTP(w, r)
	})
}

// uiView is what every page template receives: the layout's fields and the page's Data.
type uiView struct {
	Title string
	// Nav names the navigation entry to mark current.
	Nav     string
	Session *uiSession
	// Notice and Error are banners above the content.
	Notice string
	Error  string
	Data   any
	// Here is the page's own URL: where its forms come back to.
	Here string
}

// render writes page with status. Pages are rendered into a buffer first so that a template
// error becomes a clean 500 rather than half a page.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, page string, v uiView) {
	t, ok := c.pages[page]
	if !ok {
		c.cfg.Log.Error("console: no template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if v.Session == nil {
		v.Session = uiSessionFrom(r.Context())
	}
	v.Here = r.URL.RequestURI()
	if v.Session != nil && r.Method == http.MethodGet {
		if f := c.sessions.takeFlash(v.Session.key); f.Notice != "" || f.Error != "" {
			v.Notice, v.Error = cmp.Or(v.Notice, f.Notice), cmp.Or(v.Error, f.Error)
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.cfg.Log.Error("console: rendering failed", "page", page, "request_id", respond.RequestID(r.Context()), "error", err.Error())
		http.Error(w, "internal error (request id "+respond.RequestID(r.Context())+")", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Pages show access data: keep them out of shared and back-button caches.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders the error page with status and a message for a person.
func (c *console) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	c.render(w, r, status, "error", uiView{Title: http.StatusText(status), Error: msg,
		Data: map[string]any{"Status": status}})
}

// failErr renders err the way the admin API classifies it: client errors with their text,
// server faults logged and answered without it.
func (c *console) failErr(w http.ResponseWriter, r *http.Request, err error) {
	status, _, known := respond.Classify(err)
	msg := err.Error()
	var ae *api.Error
	if errors.As(err, &ae) {
		msg = consoleHints(ae.Message)
	}
	if !known {
		c.cfg.Log.Error("console request failed", "request_id", respond.RequestID(r.Context()), "error", err.Error())
		msg = "Something went wrong on the server (request id " + respond.RequestID(r.Context()) + "); the server log has the details."
	}
	c.fail(w, r, status, msg)
}

func (c *console) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, uiPrefix+"/users", http.StatusSeeOther)
}

// uiPager is the paging bar of a list: which rows are shown and the links around them.
type uiPager struct {
	From, To, Total int
	Prev, Next      string
}

// pager builds the paging bar for a list at offset with total rows, keeping the other
// query parameters of r.
func pager(r *http.Request, offset, shown, total int) uiPager {
	p := uiPager{Total: total}
	if shown > 0 {
		p.From, p.To = offset+1, offset+shown
	}
	link := func(off int) string {
		q := r.URL.Query()
		q.Del("offset")
		if off > 0 {
			q.Set("offset", strconv.Itoa(off))
		}
		if len(q) == 0 {
			return r.URL.Path
		}
		return r.URL.Path + "?" + q.Encode()
	}
	if offset > 0 {
		p.Prev = link(max(0, offset-uiPageSize))
	}
	if offset+shown < total {
		p.Next = link(offset + uiPageSize)
	}
	return p
}

// uiOffset reads the offset query parameter; anything unusable is 0.
func uiOffset(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("offset"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// uiTime shows times in UTC to the second: the audit log and the API speak UTC too.
func uiTime(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.UTC().Format("2006-01-02 15:04:05 UTC")
	case *time.Time:
		if v == nil {
			return ""
		}
		return uiTime(*v)
	}
	return fmt.Sprint(t)
}

// roleName shows "none" as a dash-free word a person reads as "no access".
func roleName(role string) string {
	if role == "" || role == "none" {
		return "no access"
	}
	return role
}

// safeNext keeps a post-sign-in redirect inside the console: an absolute or
// scheme-relative URL would make the sign-in page an open redirect.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") ||
		!(u.Path == uiPrefix || strings.HasPrefix(u.Path, uiPrefix+"/")) || strings.HasPrefix(u.Path, uiPrefix+"/signin") {
		return uiPrefix + "/users"
	}
	return u.RequestURI()
}

// orgOf is the signed-in session's org.
func orgOf(r *http.Request) string { return auth.PrincipalFrom(r.Context()).OrgID }

func badRequest(format string, args ...any) *api.Error {
	return &api.Error{Status: http.StatusBadRequest, Code: api.CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}
