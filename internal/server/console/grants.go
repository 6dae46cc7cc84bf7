package console

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/store"
)

// Grant, change role and revoke from the console. Each is a POST (CSRF-checked by signedIn)
// to one service use case, so it is one transaction and one audit event with the session's
// token name as the actor, exactly as through the admin API. Each answers with a redirect
// back to the page the form was on (the form's "back" field, kept inside the console) and
// the outcome as the session's flash banner, so reloading the page repeats nothing.

// uiRoles are the roles the grant forms offer per resource kind, highest first: the same
// list the service validates against (access.ValidRoles), spelled out for the templates.
var uiRoles = map[string][]string{
	api.KindOrganization: {"owner", "collaborator"},
	api.KindCloud:        {"owner", "collaborator", "readonly"},
	api.KindProject:      {"owner", "collaborator", "readonly"},
}

// back is where a grant form returns to: its "back" field if it is a console page.
func back(r *http.Request) string { return safeNext(r.PostFormValue("back")) }

// done redirects back with a flash banner.
func (c *console) done(w http.ResponseWriter, r *http.Request, f uiFlash) { c.doneTo(w, r, back(r), f) }

// doneTo redirects to the console page to with a flash banner.
func (c *console) doneTo(w http.ResponseWriter, r *http.Request, to string, f uiFlash) {
	if s := uiSessionFrom(r.Context()); s != nil {
		c.sessions.setFlash(s.key, f)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// refused redirects back with err as the banner when it is the person's to fix (a wrong
// name, a role not valid there, groups-only mode); a server fault gets the error page.
func (c *console) refused(w http.ResponseWriter, r *http.Request, err error) {
	c.refusedTo(w, r, back(r), err)
}

// refusedTo is refused with an explicit page to return to.
func (c *console) refusedTo(w http.ResponseWriter, r *http.Request, to string, err error) {
	if _, _, known := respond.Classify(err); !known {
		c.failErr(w, r, err)
		return
	}
	c.doneTo(w, r, to, uiFlash{Error: consoleMessage(err)})
}

// cliHint is the "(list them with `rolecall … list`)" tail of the service's not-found
// messages, which speak to CLI users.
var cliHint = regexp.MustCompile(" \\(list them with `rolecall ([a-z-]+) list`\\)")

// uiListPages names the console page that lists each kind the CLI hints name.
var uiListPages = map[string]string{"cloud": "Clouds", "project": "Projects", "user": "Users",
	"group": "Groups", "service-account": "Service accounts"}

// consoleMessage words a service refusal for the console: the groups-only refusal says
// what to do here, and hints at CLI commands become the console page to look at.
func consoleMessage(err error) string {
	var ae *api.Error
	if !errors.As(err, &ae) {
		// store.ErrInvalid wraps as "invalid: <what is wrong>": the tail is the message.
		return "Nothing was changed: " + strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": ") + "."
	}
	details, _ := ae.Details.(map[string]any)
	if ps, ok := details["projects"].([]string); ok {
		return "Nothing was deleted: a cloud with projects cannot be deleted. Delete its " + fmt.Sprint(len(ps)) +
			" project(s) first (" + strings.Join(ps, ", ") + "), each from its own page."
	}
	if held, ok := details["existing"].([]api.Grant); ok && len(held) > 0 {
		var roles []string
		for _, h := range held {
			by := ""
			if h.CreatedBy != "" {
				by = " by " + h.CreatedBy
			}
			roles = append(roles, h.Role+" (granted"+by+" at "+uiTime(h.CreatedAt)+")")
		}
		return fmt.Sprintf("Nothing was changed: %s already holds %s on %s, and holds one role per resource. "+
			"To change it, tick “Replace the existing role” and grant again, or use Change role on the grant.",
			capitalize(grantWho(held[0])), strings.Join(roles, " and "), grantWhere(held[0]))
	}
	if on, _ := details["groupsOnly"].(bool); on {
		msg := "Nothing was changed: groups-only mode is on for this organization, so users get roles only through their groups. " +
			"Grant the role to a group the user is in, from that group's page"
		switch gs, _ := details["userGroups"].([]string); len(gs) {
		case 0:
			msg += "; this user is in no active group yet, so add them to one in your identity provider first."
		default:
			msg += " (this user is in " + strings.Join(gs, ", ") + ")."
		}
		return msg
	}
	return "Nothing was changed: " + consoleHints(ae.Message) + "."
}

// consoleHints replaces the CLI hints of a service message with the console page to look at.
func consoleHints(msg string) string {
	return cliHint.ReplaceAllStringFunc(msg, func(m string) string {
		return " (see the " + uiListPages[cliHint.FindStringSubmatch(m)[1]] + " page)"
	})
}

// grantCreate grants a role. The form names the resource (kind + id or name, or one
// "kind:id" choice from a list) and the principal (type + id or name).
func (c *console) grantCreate(w http.ResponseWriter, r *http.Request) {
	req := api.GrantRequest{Role: r.PostFormValue("role"),
		ResourceKind: r.PostFormValue("resourceKind"), Resource: r.PostFormValue("resource"),
		PrincipalType: r.PostFormValue("principalType"), Principal: r.PostFormValue("principal"),
		Replace: r.PostFormValue("replace") != ""}
	if where := r.PostFormValue("where"); where != "" {
		req.ResourceKind, req.Resource, _ = strings.Cut(where, ":")
	}
	if strings.TrimSpace(req.Principal) == "" || (req.ResourceKind != api.KindOrganization && strings.TrimSpace(req.Resource) == "") {
		c.done(w, r, uiFlash{Error: "Nothing was granted: fill in whom to grant the role to and where."})
		return
	}
	g, created, err := c.cfg.Service.CreateGrant(r.Context(), orgOf(r), req)
	if err != nil {
		c.refused(w, r, err)
		return
	}
	msg := fmt.Sprintf("Granted %s on %s to %s.", g.Role, grantWhere(g), grantWho(g))
	if len(g.Replaced) > 0 {
		var was []string
		for _, o := range g.Replaced {
			was = append(was, o.Role)
		}
		msg = fmt.Sprintf("Changed the role of %s on %s from %s to %s.", grantWho(g), grantWhere(g), strings.Join(was, " and "), g.Role)
	} else if !created {
		msg = fmt.Sprintf("%s already holds %s on %s; nothing was changed.", capitalize(grantWho(g)), g.Role, grantWhere(g))
	}
	if g.Note != "" {
		msg += " Note: " + g.Note + "."
	}
	c.done(w, r, uiFlash{Notice: msg})
}

// grantChangeRole replaces a grant's role in one transaction.
func (c *console) grantChangeRole(w http.ResponseWriter, r *http.Request) {
	role := r.PostFormValue("role")
	old, err := c.cfg.Service.Grant(r.Context(), orgOf(r), r.PathValue("grant"))
	if err != nil {
		c.refused(w, r, err)
		return
	}
	g, err := c.cfg.Service.ChangeGrantRole(r.Context(), orgOf(r), old.ID, role)
	if err != nil {
		c.refused(w, r, err)
		return
	}
	if g.Role == old.Role {
		c.done(w, r, uiFlash{Notice: fmt.Sprintf("%s already holds %s on %s; nothing was changed.", capitalize(grantWho(g)), g.Role, grantWhere(g))})
		return
	}
	c.done(w, r, uiFlash{Notice: fmt.Sprintf("Changed the role of %s on %s from %s to %s.", grantWho(g), grantWhere(g), old.Role, g.Role)})
}

// grantRevoke revokes one grant.
func (c *console) grantRevoke(w http.ResponseWriter, r *http.Request) {
	g, err := c.cfg.Service.DeleteGrant(r.Context(), orgOf(r), r.PathValue("grant"))
	if err != nil {
		c.refused(w, r, err)
		return
	}
	c.done(w, r, uiFlash{Notice: fmt.Sprintf("Revoked %s on %s from %s.", g.Role, grantWhere(g), grantWho(g))})
}

func grantWhere(g api.Grant) string {
	if g.ResourceKind == api.KindOrganization {
		return "the organization"
	}
	return g.ResourceKind + " “" + g.ResourceName + "”"
}

func grantWho(g api.Grant) string {
	return strings.ReplaceAll(g.PrincipalType, "_", " ") + " “" + g.PrincipalName + "”"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// uiWhere is one resource a principal's grant form offers: Value is "kind:id", what
// grantCreate reads from its "where" field.
type uiWhere struct{ Value, Label, Kind string }

// grantTargets lists the organization, then the clouds, then the projects (with their
// cloud), for the grant form of a group's or service account's page.
func (c *console) grantTargets(r *http.Request) ([]uiWhere, error) {
	out := []uiWhere{{Value: api.KindOrganization + ":", Label: "the organization", Kind: api.KindOrganization}}
	for _, kind := range []store.ResourceKind{store.KindCloud, store.KindProject} {
		rows, err := c.cfg.Service.ResourceSummaries(r.Context(), orgOf(r), kind)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			label := string(kind) + " " + row.Name
			if row.Cloud != "" {
				label += " (cloud " + row.Cloud + ")"
			}
			out = append(out, uiWhere{Value: string(kind) + ":" + row.ID, Label: label, Kind: string(kind)})
		}
	}
	return out, nil
}
