package console

import (
	"net/http"
	"strings"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/decision"
)

// The "check access" page: who (a user or a service account), an action (built in or one of
// the org's custom actions) and a resource (the organization, a cloud, a project) → the
// decision the AuthZEN API would give, with its explanation and the revision it was computed
// at. It asks the decision cache in-process (the same index the API answers from), so what
// it shows is what the platform is told. It only reads, so it is a GET form: the question is
// in the URL, which a person can bookmark or share, and there is nothing for CSRF to protect.

// uiCheckData is the check page's form (as asked) and, once asked, the answer.
type uiCheckData struct {
	SubjectType, Subject, Action, ResourceType, Resource string
	// Actions are the actions the form offers: built-in first, then the org's own.
	Builtin, Custom []string
	// Asked is true when the form was submitted with a subject and an action.
	Asked bool
	// Decision is the answer (when Asked and the question was well-formed).
	Decision *uiDecision
}

// uiDecision is a decision as the page shows it.
type uiDecision struct {
	Allowed  bool
	Reason   string
	Message  string
	Role     string
	Required string
	Implicit bool
	Public   bool
	Revision uint64
	Sources  []access.Source
	// ImplicitCollaborator: a service account is always an org collaborator.
	ImplicitCollaborator bool
}

// check answers GET /ui/check?ask=1&subjectType=&subject=&action=&resourceType=&resource=.
// Without ask (the form's submit sends it) or a subject it shows the form only, prefilled
// from whatever the query holds, so that a user's or a resource's page can link to it half
// filled without answering a question nobody asked yet.
func (c *console) check(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := uiCheckData{
		SubjectType:  q.Get("subjectType"),
		Subject:      strings.TrimSpace(q.Get("subject")),
		Action:       strings.TrimSpace(q.Get("action")),
		ResourceType: q.Get("resourceType"),
		Resource:     strings.TrimSpace(q.Get("resource")),
		Builtin:      decision.BuiltinActions(),
	}
	if d.SubjectType == "" {
		d.SubjectType = "user"
	}
	if d.ResourceType == "" {
		d.ResourceType = access.KindOrganization.String()
	}
	if d.Action == "" {
		d.Action = "read"
	}
	org := orgOf(r)
	custom, err := c.cfg.Service.CustomActions(r.Context(), org)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	for _, a := range custom {
		d.Custom = append(d.Custom, a.Name)
	}
	view := uiView{Title: "Check access", Nav: "check", Data: &d}
	if d.Subject == "" || q.Get("ask") == "" {
		c.render(w, r, http.StatusOK, "check", view)
		return
	}
	d.Asked = true
	st, okS := decision.ParseSubjectType(d.SubjectType)
	k, errK := access.ParseKind(d.ResourceType)
	switch {
	case !okS:
		view.Error = "Unknown kind of subject “" + d.SubjectType + "”: choose a user or a service account."
	case errK != nil:
		view.Error = "Unknown kind of resource “" + d.ResourceType + "”: choose the organization, a cloud or a project."
	case k != access.KindOrganization && d.Resource == "":
		view.Error = "Name the " + k.String() + " to check access on."
	}
	if view.Error != "" {
		c.render(w, r, http.StatusBadRequest, "check", view)
		return
	}
	if k == access.KindOrganization {
		// The organization is named by its own name; the session knows it.
		d.Resource = uiSessionFrom(r.Context()).OrgName
	}
	if c.cfg.Decisions == nil {
		c.fail(w, r, http.StatusServiceUnavailable, "This server answers no access decisions (it runs without a decision cache).")
		return
	}
	ix, _, err := c.cfg.Decisions.Index(r.Context(), org, 0)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	dec := ix.Evaluate(decision.Query{Subject: decision.Subject{Type: st, ID: d.Subject}, Action: d.Action,
		Resource: decision.Resource{Kind: k, Name: d.Resource}, Explain: true})
	d.Decision = &uiDecision{Allowed: dec.Allowed, Reason: string(dec.Reason), Message: dec.Message(),
		Role: dec.Role.String(), Required: dec.Required.String(), Implicit: dec.Implicit, Public: dec.Public,
		Revision: dec.Revision, Sources: dec.Sources, ImplicitCollaborator: dec.ImplicitCollaborator}
	if dec.Required == access.RoleNone {
		d.Decision.Required = ""
	}
	c.render(w, r, http.StatusOK, "check", view)
}
