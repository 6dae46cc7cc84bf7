package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/rules"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// The group → role rules pages: the rules in order with the recorded changes (each undoable),
// a form to add a rule, and the preview of an add or a delete (which groups match, which
// bindings appear or go, every user's change) with the button that applies exactly that
// preview (its fingerprint). They call the service exactly as the admin API does: one
// transaction, one audit event with the session's token name as the actor.

type uiRulesData struct {
	Rules   []api.Rule
	Changes []api.RuleChange
	Pager   uiPager
	// Form echoes a refused add.
	Form api.RuleInput
	// Target is the form's target: organization, cloud, project or captured.
	Target string
}

// uiRulePreview is the preview page of one proposed change.
type uiRulePreview struct {
	Action string // add or delete
	// Input is the proposed rule (add), Ref the rule deleted.
	Input   api.RuleInput
	Target  string
	Ref     string
	Preview rules.Preview
	Parts   []rules.RulePreview
	Rows    []uiPlanRow
	Empty   bool
}

func (c *console) rulesPage(w http.ResponseWriter, r *http.Request) {
	c.showRules(w, r, http.StatusOK, "", nil)
}

func (c *console) showRules(w http.ResponseWriter, r *http.Request, status int, errMsg string, posted *uiRulesData) {
	rs, err := c.cfg.Service.Rules(r.Context(), orgOf(r))
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	offset := uiOffset(r)
	chs, total, err := c.cfg.Service.RuleChanges(r.Context(), orgOf(r), store.Page{Offset: offset, Limit: uiPageSize})
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	d := uiRulesData{Rules: rs, Changes: chs, Pager: pager(r, offset, len(chs), total), Target: "cloud"}
	if posted != nil {
		d.Form, d.Target = posted.Form, posted.Target
	}
	c.render(w, r, status, "rules", uiView{Title: "Group rules", Nav: "rules", Error: errMsg, Data: d})
}

// ruleForm reads the add form: the rule and its target (a fixed organization, cloud or
// project, or "captured" when the pattern captures the resource).
func ruleForm(r *http.Request) (api.RuleInput, string) {
	in := api.RuleInput{Name: strings.TrimSpace(r.PostFormValue("name")), Match: r.PostFormValue("match"),
		Value: r.PostFormValue("value"), Role: strings.TrimSpace(r.PostFormValue("role"))}
	target := r.PostFormValue("target")
	switch target {
	case "organization":
		in.ResourceKind = "organization"
	case "cloud", "project":
		in.ResourceKind, in.ResourceName = target, strings.TrimSpace(r.PostFormValue("resource"))
	}
	if in.Role == "captured" {
		in.Role = ""
	}
	return in, target
}

// rulePreview shows the preview of the add the form proposes.
func (c *console) rulePreview(w http.ResponseWriter, r *http.Request) {
	in, target := ruleForm(r)
	c.showRulePreview(w, r, http.StatusOK, "", uiRulePreview{Action: "add", Input: in, Target: target})
}

// ruleDeleteConfirm shows the preview of deleting a rule.
func (c *console) ruleDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	c.showRulePreview(w, r, http.StatusOK, "", uiRulePreview{Action: "delete", Ref: r.PathValue("rule")})
}

func (p uiRulePreview) request() api.RuleChangeRequest {
	if p.Action == "delete" {
		return api.RuleChangeRequest{Delete: p.Ref}
	}
	in := p.Input
	return api.RuleChangeRequest{Add: &in}
}

func (c *console) showRulePreview(w http.ResponseWriter, r *http.Request, status int, errMsg string, d uiRulePreview) {
	pv, err := c.cfg.Service.PreviewRuleChange(r.Context(), orgOf(r), d.request())
	if err != nil {
		if d.Action == "add" {
			if _, _, known := respond.Classify(err); known {
				c.showRules(w, r, http.StatusUnprocessableEntity, consoleMessage(err), &uiRulesData{Form: d.Input, Target: d.Target})
				return
			}
		}
		c.refusedTo(w, r, uiPrefix+"/rules", err)
		return
	}
	d.Preview = pv.Preview
	for _, part := range pv.Preview.Rules {
		if part.Status != rules.RuleUnchanged || len(part.Add)+len(part.Remove)+len(part.Reassign) > 0 {
			d.Parts = append(d.Parts, part)
		}
	}
	d.Rows = planRows(&enforce.Plan{Users: pv.Preview.Users})
	d.Empty = pv.Preview.Empty()
	c.render(w, r, status, "rule_preview", uiView{Title: "Rule change preview", Nav: "rules", Error: errMsg, Data: d})
}

// ruleApply applies the previewed change with the preview's fingerprint; when the
// organization changed since, nothing is applied and the new preview is shown.
func (c *console) ruleApply(w http.ResponseWriter, r *http.Request) {
	in, target := ruleForm(r)
	d := uiRulePreview{Action: r.PostFormValue("action"), Input: in, Target: target, Ref: r.PostFormValue("rule")}
	req := d.request()
	req.Fingerprint = r.PostFormValue("fingerprint")
	res, err := c.cfg.Service.ApplyRuleChange(r.Context(), orgOf(r), req)
	if err != nil {
		if errors.Is(err, service.ErrRuleStale) {
			c.showRulePreview(w, r, http.StatusConflict,
				"The organization changed since your preview, so nothing was applied. Below is the new preview: review it and apply again.", d)
			return
		}
		c.refusedTo(w, r, uiPrefix+"/rules", err)
		return
	}
	msg := "Nothing to change."
	if res.Applied {
		msg = capitalFirst(res.Change.Summary) + ": " + strconv.Itoa(res.Change.BindingsAdded) + " grant(s) added, " +
			strconv.Itoa(res.Change.BindingsRemoved) + " removed. It can be undone below."
	}
	c.doneTo(w, r, uiPrefix+"/rules", uiFlash{Notice: msg})
}

// ruleUndo undoes a recorded rule change.
func (c *console) ruleUndo(w http.ResponseWriter, r *http.Request) {
	res, err := c.cfg.Service.UndoRuleChange(r.Context(), orgOf(r), r.PathValue("change"))
	if err != nil {
		c.refusedTo(w, r, uiPrefix+"/rules", err)
		return
	}
	c.doneTo(w, r, uiPrefix+"/rules", uiFlash{Notice: "Undone: " + strconv.Itoa(res.Change.BindingsAdded) + " grant(s) re-created, " +
		strconv.Itoa(res.Change.BindingsRemoved) + " removed; the rules are as they were before that change."})
}

func capitalFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
