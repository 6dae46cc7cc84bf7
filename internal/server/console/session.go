package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/store"
)

// Console sessions. An admin signs in by posting an admin token; the console keeps, in this
// process's memory, a random session id → (org, token id, token name, expiry, CSRF token)
// and gives the browser only the session id, in an HttpOnly cookie. The token secret is never
// stored. Every request re-reads the token by id and ends the session when the token was
// revoked, expired or deleted, so revoking the token signs the console out at once.
//
// Sessions are per process and do not survive a restart: behind a load balancer, sticky
// sessions or signing in again on another replica are needed. For an admin console that is a
// fair price for a design with no signing key to manage and instant revocation.

const (
	uiSessionCookie = "rolecall_session"
	// uiSigninCookie carries the sign-in form's CSRF token before a session exists
	// (double submit), so that another site cannot sign a browser in with its own token.
	uiSigninCookie = "rolecall_signin"
	// uiSessionIdle ends a session nobody used for this long.
	uiSessionIdle = time.Hour
	// uiSessionMax ends every session this long after sign-in, whatever its use.
	uiSessionMax = 12 * time.Hour
	// uiMaxSessions bounds memory: beyond it the oldest session is dropped.
	uiMaxSessions = 10000
	uiCSRFField   = "csrf"
)

// uiSession is one signed-in browser.
type uiSession struct {
	key       string // SHA-256 of the cookie value: the map key
	OrgID     string
	OrgName   string
	TokenID   string
	TokenName string
	CSRF      string
	created   time.Time
	expires   time.Time // absolute end: sign-in + uiSessionMax, or the token's expiry if sooner
	lastSeen  time.Time
	// flash is the banner of the next page this session renders: the outcome of a POST
	// that redirected. Kept here, not in the URL, so that no link can put words in it.
	flash uiFlash
}

// uiFlash is a one-time banner: a notice or an error. A new token's or webhook endpoint's
// secret travels the same way, in memory only, from the POST that created it to the one page
// that shows it.
type uiFlash struct{ Notice, Error, TokenID, WebhookID, Secret string }

// uiSessions is the in-memory session store.
type uiSessions struct {
	mu sync.Mutex
	m  map[string]*uiSession
	// now is the clock (tests).
	now func() time.Time
}

func newUISessions() *uiSessions {
	return &uiSessions{m: map[string]*uiSession{}, now: time.Now}
}

// randomToken returns 32 random bytes, base64url: session ids and CSRF tokens.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sessionKey hashes a cookie value so that the map (and a heap dump) never holds a usable id.
func sessionKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// create starts a session and returns the cookie value.
func (ss *uiSessions) create(s uiSession, tokenExpiry *time.Time) (string, *uiSession) {
	id := randomToken()
	now := ss.now()
	s.key, s.CSRF, s.created, s.lastSeen, s.expires = sessionKey(id), randomToken(), now, now, now.Add(uiSessionMax)
	if tokenExpiry != nil && tokenExpiry.Before(s.expires) {
		s.expires = *tokenExpiry
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, old := range ss.m {
		if ss.ended(old, now) {
			delete(ss.m, k)
		}
	}
	if len(ss.m) >= uiMaxSessions {
		var oldest *uiSession
		for _, old := range ss.m {
			if oldest == nil || old.created.Before(oldest.created) {
				oldest = old
			}
		}
		delete(ss.m, oldest.key)
	}
	ss.m[s.key] = &s
	return id, &s
}

func (ss *uiSessions) ended(s *uiSession, now time.Time) bool {
	return !now.Before(s.expires) || now.Sub(s.lastSeen) >= uiSessionIdle
}

// get returns the live session of a cookie value and marks it used.
func (ss *uiSessions) get(id string) (*uiSession, bool) {
	if id == "" {
		return nil, false
	}
	key := sessionKey(id)
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[key]
	if !ok {
		return nil, false
	}
	if ss.ended(s, now) {
		delete(ss.m, key)
		return nil, false
	}
	s.lastSeen = now
	cp := *s
	return &cp, true
}

// setFlash keeps f for the session's next page.
func (ss *uiSessions) setFlash(key string, f uiFlash) {
	ss.mu.Lock()
	if s, ok := ss.m[key]; ok {
		s.flash = f
	}
	ss.mu.Unlock()
}

// takeFlash returns the session's flash and forgets it: it is shown once.
func (ss *uiSessions) takeFlash(key string) uiFlash {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[key]
	if !ok {
		return uiFlash{}
	}
	f := s.flash
	s.flash = uiFlash{}
	return f
}

func (ss *uiSessions) remove(key string) {
	ss.mu.Lock()
	delete(ss.m, key)
	ss.mu.Unlock()
}

type uiSessionKey struct{}

// uiSessionFrom returns the request's session (nil before sign-in).
func uiSessionFrom(ctx context.Context) *uiSession {
	s, _ := ctx.Value(uiSessionKey{}).(*uiSession)
	return s
}

// secureRequest reports whether the browser reached us over TLS, to mark cookies Secure.
// X-Forwarded-Proto: https from a TLS-terminating proxy is honoured, and so is a BaseURL
// that starts with https://. Trusting the header is safe in this one use: it can only add
// Secure, and a spoofed header only makes the spoofer's own cookie unusable over plain HTTP.
func (c *console) secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") ||
		strings.HasPrefix(strings.ToLower(c.cfg.BaseURL), "https://")
}

func (c *console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: uiPrefix, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.secureRequest(r)})
}

// signedIn wraps a console handler: it needs a live session whose token is still valid, and
// a POST needs the session's CSRF token. It puts the same principal and audit actor in the
// context as the admin API's bearer authentication, so that handlers share its code paths.
func (c *console) signedIn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var id string
		if ck, err := r.Cookie(uiSessionCookie); err == nil {
			id = ck.Value
		}
		sess, ok := c.sessions.get(id)
		if !ok {
			c.toSignin(w, r, "")
			return
		}
		if reason, err := c.tokenStillValid(r.Context(), sess); err != nil {
			c.cfg.Log.Error("console: checking the session's token failed", "request_id", respond.RequestID(r.Context()), "error", err.Error())
			c.fail(w, r, http.StatusServiceUnavailable, "Cannot check your session right now (database unavailable); retry shortly.")
			return
		} else if reason != "" {
			c.sessions.remove(sess.key)
			c.setCookie(w, r, uiSessionCookie, "", -1)
			c.toSignin(w, r, reason)
			return
		}
		if r.Method == http.MethodPost && !c.checkCSRF(r, sess.CSRF) {
			c.fail(w, r, http.StatusForbidden, "This form is out of date or did not come from this console (CSRF check failed); nothing was changed. Reload the page and try again.")
			return
		}
		ctx := context.WithValue(r.Context(), uiSessionKey{}, sess)
		ctx = auth.WithPrincipal(ctx, auth.Principal{OrgID: sess.OrgID, TokenID: sess.TokenID, TokenName: sess.TokenName, Scope: store.ScopeAdmin})
		ctx = audit.WithActor(ctx, audit.Actor{Name: sess.TokenName, RequestID: respond.RequestID(r.Context())})
		h(w, r.WithContext(ctx))
	}
}

// Why a session ended, as the sign-in page's "ended" parameter. A code rather than a text,
// so that a crafted link cannot make the console display words of someone else's choosing.
const (
	endedRevoked   = "revoked"
	endedExpired   = "expired"
	endedGone      = "deleted"
	endedScope     = "scope"
	endedSignedOut = "signedout"
)

var endedMessages = map[string]string{
	endedRevoked:   "Your session ended: its admin token was revoked. Sign in with a valid admin token.",
	endedExpired:   "Your session ended: its admin token expired. Sign in with a valid admin token.",
	endedGone:      "Your session ended: its admin token no longer exists. Sign in with a valid admin token.",
	endedScope:     "Your session ended: its token is not an admin token.",
	endedSignedOut: "You signed out.",
}

// tokenStillValid re-reads the session's token: why it no longer signs anyone in (one of
// the ended codes), or "" when it still does.
func (c *console) tokenStillValid(ctx context.Context, sess *uiSession) (string, error) {
	t, err := c.cfg.Service.Token(ctx, sess.OrgID, sess.TokenID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return endedGone, nil
	case err != nil:
		return "", err
	case t.RevokedAt != nil:
		return endedRevoked, nil
	case t.ExpiresAt != nil && !store.Now().Before(*t.ExpiresAt):
		return endedExpired, nil
	case t.Scope != store.ScopeAdmin:
		return endedScope, nil
	}
	return "", nil
}

// checkCSRF compares the form's token with want in constant time.
func (c *console) checkCSRF(r *http.Request, want string) bool {
	got := r.PostFormValue(uiCSRFField)
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// toSignin sends a browser without a session to the sign-in page, remembering where it was
// going (GET only: a POST cannot be replayed after sign-in).
func (c *console) toSignin(w http.ResponseWriter, r *http.Request, reason string) {
	q := url.Values{}
	if r.Method == http.MethodGet {
		q.Set("next", r.URL.RequestURI())
	}
	if reason != "" {
		q.Set("ended", reason)
	}
	target := uiPrefix + "/signin"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// signinView is the sign-in page's data.
type signinView struct {
	CSRF string
	Next string
}

func (c *console) signinForm(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(uiSessionCookie); err == nil {
		if _, ok := c.sessions.get(ck.Value); ok {
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
	}
	c.renderSignin(w, r, http.StatusOK, endedMessages[r.URL.Query().Get("ended")], "")
}

func (c *console) renderSignin(w http.ResponseWriter, r *http.Request, status int, notice, errMsg string) {
	csrf := randomToken()
	c.setCookie(w, r, uiSigninCookie, csrf, 3600)
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostFormValue("next")
	}
	c.render(w, r, status, "signin", uiView{Title: "Sign in", Notice: notice, Error: errMsg,
		Data: signinView{CSRF: csrf, Next: safeNext(next)}})
}

// signin exchanges an admin token for a session.
func (c *console) signin(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(uiSigninCookie)
	if err != nil || !c.checkCSRF(r, ck.Value) {
		c.renderSignin(w, r, http.StatusForbidden, "", "The sign-in form expired or did not come from this console (CSRF check failed). Please try again.")
		return
	}
	secret := strings.TrimSpace(r.PostFormValue("token"))
	if secret == "" {
		c.renderSignin(w, r, http.StatusBadRequest, "", "Enter an admin token.")
		return
	}
	p, err := c.cfg.Authenticator.Authenticate(r.Context(), "Bearer "+secret, store.ScopeAdmin)
	if err != nil {
		var f *auth.Failure
		if errors.As(err, &f) {
			c.cfg.Log.Info("console sign-in refused", "request_id", respond.RequestID(r.Context()), "reason", f.Reason)
			c.renderSignin(w, r, f.Status, "", "Sign-in refused: "+strings.TrimSuffix(f.Reason, ".")+".")
			return
		}
		c.cfg.Log.Error("console sign-in failed", "request_id", respond.RequestID(r.Context()), "error", err.Error())
		c.renderSignin(w, r, http.StatusServiceUnavailable, "", "Cannot check the token right now (database unavailable); retry shortly.")
		return
	}
	org, err := c.cfg.Service.Org(r.Context(), p.OrgID)
	var tok store.Token
	if err == nil {
		tok, err = c.cfg.Service.Token(r.Context(), p.OrgID, p.TokenID)
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	id, _ := c.sessions.create(uiSession{OrgID: p.OrgID, OrgName: org.Name, TokenID: p.TokenID, TokenName: p.TokenName}, tok.ExpiresAt)
	c.setCookie(w, r, uiSessionCookie, id, 0)
	c.setCookie(w, r, uiSigninCookie, "", -1)
	c.cfg.Log.Info("console sign-in", "request_id", respond.RequestID(r.Context()), "org", org.Name, "token", p.TokenName)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// signout ends the session (POST, CSRF-checked by signedIn).
func (c *console) signout(w http.ResponseWriter, r *http.Request) {
	if sess := uiSessionFrom(r.Context()); sess != nil {
		c.sessions.remove(sess.key)
	}
	c.setCookie(w, r, uiSessionCookie, "", -1)
	http.Redirect(w, r, uiPrefix+"/signin?ended="+endedSignedOut, http.StatusSeeOther)
}
