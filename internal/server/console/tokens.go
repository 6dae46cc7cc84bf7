package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/respond"
)

// The tokens page (list with last use, create, revoke) and the settings page (groups-only
// mode). A new token's secret is shown on exactly one page: the POST keeps it in the
// session's memory and redirects to the token's "created" page, which takes it out as it
// renders; a reload or a later visit finds only the advice to revoke and create anew. The
// secret is never in a URL, a log or the store.

type uiTokensData struct {
	Tokens []api.Token
	// Current is the id of the token this session signed in with.
	Current string
	// Form echoes the last refused create.
	Name, Scope, ExpiresDays string
}

func (c *console) tokens(w http.ResponseWriter, r *http.Request) {
	c.showTokens(w, r, http.StatusOK, "", nil)
}

func (c *console) showTokens(w http.ResponseWriter, r *http.Request, status int, errMsg string, form *uiTokensData) {
	ts, err := c.cfg.Service.Tokens(r.Context(), orgOf(r))
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	d := uiTokensData{Tokens: ts, Current: uiSessionFrom(r.Context()).TokenID, Scope: "scim"}
	if form != nil {
		d.Name, d.Scope, d.ExpiresDays = form.Name, form.Scope, form.ExpiresDays
	}
	c.render(w, r, status, "tokens", uiView{Title: "Tokens", Nav: "tokens", Error: errMsg, Data: d})
}

// uiMaxTokenDays bounds the expiry field: ten years is "no expiry" said differently.
const uiMaxTokenDays = 3650

func (c *console) tokenCreate(w http.ResponseWriter, r *http.Request) {
	form := &uiTokensData{Name: strings.TrimSpace(r.PostFormValue("name")), Scope: r.PostFormValue("scope"),
		ExpiresDays: strings.TrimSpace(r.PostFormValue("expiresDays"))}
	req := api.CreateTokenRequest{Name: form.Name, Scope: form.Scope}
	if form.Name == "" {
		c.showTokens(w, r, http.StatusBadRequest, "Nothing was created: give the token a name. The audit log names it as the actor of everything done with it.", form)
		return
	}
	if form.ExpiresDays != "" {
		n, err := strconv.Atoi(form.ExpiresDays)
		if err != nil || n < 1 || n > uiMaxTokenDays {
			c.showTokens(w, r, http.StatusBadRequest, "Nothing was created: “Expires after” is a whole number of days from 1 to 3650, or empty for no expiry.", form)
			return
		}
		at := time.Now().Add(time.Duration(n) * 24 * time.Hour)
		req.ExpiresAt = &at
	}
	tok, err := c.cfg.Service.CreateToken(r.Context(), orgOf(r), req, "")
	if err != nil {
		if _, _, known := respond.Classify(err); known {
			c.showTokens(w, r, http.StatusBadRequest, consoleMessage(err), form)
			return
		}
		c.failErr(w, r, err)
		return
	}
	c.doneTo(w, r, uiPrefix+"/tokens/"+tok.ID+"/created", uiFlash{TokenID: tok.ID, Secret: tok.Secret})
}

type uiTokenData struct {
	Token api.Token
	// Secret is set on the one page that shows it.
	Secret string
	// Current: the session signed in with this token.
	Current bool
}

// token finds one of the org's tokens by id in the list (which carries last use).
func (c *console) token(r *http.Request) (api.Token, error) {
	ts, err := c.cfg.Service.Tokens(r.Context(), orgOf(r))
	if err != nil {
		return api.Token{}, err
	}
	for _, t := range ts {
		if t.ID == r.PathValue("token") {
			return t, nil
		}
	}
	return api.Token{}, &api.Error{Status: http.StatusNotFound, Code: api.CodeNotFound,
		Message: "no token " + strconv.Quote(r.PathValue("token")) + " in this organization (see the Tokens page)"}
}

// tokenCreated shows a new token's secret, once.
func (c *console) tokenCreated(w http.ResponseWriter, r *http.Request) {
	t, err := c.token(r)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	d := uiTokenData{Token: t}
	if f := c.sessions.takeFlash(uiSessionFrom(r.Context()).key); f.TokenID == t.ID {
		d.Secret = f.Secret
	}
	c.render(w, r, http.StatusOK, "token_created", uiView{Title: "Token " + t.Name, Nav: "tokens", Data: d})
}

func (c *console) tokenRevokeConfirm(w http.ResponseWriter, r *http.Request) {
	t, err := c.token(r)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	if t.RevokedAt != nil {
		c.doneTo(w, r, uiPrefix+"/tokens", uiFlash{Notice: "Token “" + t.Name + "” is already revoked."})
		return
	}
	c.render(w, r, http.StatusOK, "token_revoke", uiView{Title: "Revoke token " + t.Name, Nav: "tokens",
		Data: uiTokenData{Token: t, Current: t.ID == uiSessionFrom(r.Context()).TokenID}})
}

// tokenRevoke revokes a token. Revoking the session's own token ends the session at its
// next request (signedIn checks the token every time), so the redirect lands on sign-in.
func (c *console) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	t, err := c.token(r)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	if _, err := c.cfg.Service.RevokeToken(r.Context(), orgOf(r), t.ID); err != nil {
		c.refusedTo(w, r, uiPrefix+"/tokens", err)
		return
	}
	// The authenticator caches tokens briefly; as the admin API does, drop this one so that
	// the revocation takes effect on this server at once.
	if c.cfg.Authenticator != nil {
		c.cfg.Authenticator.Forget(t.ID)
	}
	c.doneTo(w, r, uiPrefix+"/tokens", uiFlash{Notice: "Revoked token “" + t.Name + "”: anything still using it is now refused."})
}

type uiSettingsData struct {
	Settings api.OrgSettings
	// Exemptions are the org's break-glass users.
	Exemptions []api.Exemption
}

func (c *console) settings(w http.ResponseWriter, r *http.Request) {
	st, err := c.cfg.Service.Settings(r.Context(), orgOf(r))
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	ex, err := c.cfg.Service.Exemptions(r.Context(), orgOf(r))
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	d := uiSettingsData{Settings: st, Exemptions: ex.Exemptions}
	c.render(w, r, http.StatusOK, "settings", uiView{Title: "Settings", Nav: "settings", Data: d})
}

// settingsExemptions sets how many users may be exempt from enforce-groups (one audited
// settings change); a limit below the number exempt now is refused with the banner.
func (c *console) settingsExemptions(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("maxExemptions")))
	if err != nil {
		c.doneTo(w, r, uiPrefix+"/settings", uiFlash{Error: "Nothing was changed: the most exempt users must be a whole number from 1 to 100."})
		return
	}
	v, err := c.cfg.Service.UpdateSettings(r.Context(), orgOf(r), api.UpdateOrgSettingsRequest{MaxExemptions: &n})
	if err != nil {
		c.refusedTo(w, r, uiPrefix+"/settings", err)
		return
	}
	c.doneTo(w, r, uiPrefix+"/settings", uiFlash{Notice: "At most " + strconv.Itoa(v.MaxExemptions) + " users may be exempt from enforce-groups."})
}

// settingsUpdate turns groups-only mode on or off (one audited settings change).
func (c *console) settingsUpdate(w http.ResponseWriter, r *http.Request) {
	on := r.PostFormValue("groupsOnly") == "on"
	before, err := c.cfg.Service.Settings(r.Context(), orgOf(r))
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	if before.GroupsOnly == on {
		c.doneTo(w, r, uiPrefix+"/settings", uiFlash{Notice: "Nothing to change: groups-only mode is already " + onOff(on) + "."})
		return
	}
	if _, err := c.cfg.Service.UpdateSettings(r.Context(), orgOf(r), api.UpdateOrgSettingsRequest{GroupsOnly: &on}); err != nil {
		c.refusedTo(w, r, uiPrefix+"/settings", err)
		return
	}
	msg := "Groups-only mode is now on: new direct grants to users are refused; grant roles to groups."
	if !on {
		msg = "Groups-only mode is now off: roles can again be granted directly to users."
	}
	c.doneTo(w, r, uiPrefix+"/settings", uiFlash{Notice: msg})
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
