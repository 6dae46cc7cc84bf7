package console

import (
	"errors"
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
	"github.com/rolecall/rolecall/internal/store"
)

// The enforce-groups pages: the preview as a table with its counts and the apply form
// (typed org name + the preview's fingerprint), past runs, a run with its plan and undo
// result, and the two-step undo. Apply and undo call the enforcement service exactly as the
// admin API does, so each is the same one transaction and one audit event, with the
// session's token name as the actor.

// uiPlanRow is one line of a plan table: a user's role change on one resource.
type uiPlanRow struct {
	UserName, UserID string
	// First marks a user's first row; Span is how many rows the user has.
	First      bool
	Span       int
	Kind       string
	Resource   string
	ResourceID string
	Before     string
	After      string
}

// planRows flattens a plan in the preview's order: users by userName; under each, clouds,
// projects, then the organization, each by name.
func planRows(p *enforce.Plan) []uiPlanRow {
	var rows []uiPlanRow
	for _, u := range p.Users {
		start := len(rows)
		add := func(kind string, ch enforce.Change) {
			rows = append(rows, uiPlanRow{UserName: u.UserName, UserID: u.UserID, Kind: kind, Resource: ch.Resource,
				ResourceID: ch.ResourceID, Before: ch.Before.String(), After: ch.After.String()})
		}
		for _, ch := range u.Changes.Clouds {
			add(api.KindCloud, ch)
		}
		for _, ch := range u.Changes.Projects {
			add(api.KindProject, ch)
		}
		if u.Changes.Organization != nil {
			add(api.KindOrganization, *u.Changes.Organization)
		}
		if len(rows) > start {
			rows[start].First, rows[start].Span = true, len(rows)-start
		}
	}
	return rows
}

// uiPlan is a plan ready for the plan template.
type uiPlan struct {
	Plan *enforce.Plan
	Rows []uiPlanRow
	// Empty: applying would change nothing.
	Empty bool
	// Applied: the plan of a recorded run (the page speaks in the past tense).
	Applied bool
}

func newUIPlan(p *enforce.Plan) uiPlan { return uiPlan{Plan: p, Rows: planRows(p), Empty: p.Empty()} }

type uiEnforceData struct {
	Org        string
	GroupsOnly bool
	uiPlan
	Runs  []api.EnforceRun
	Pager uiPager
	// Drift is the drift report the preview is part of (one snapshot).
	Drift api.DriftReport
	// Schedule is the org's drift schedule; nil when it has none.
	Schedule *api.DriftSchedule
	// Form echoes what was posted when the page is shown again after a refusal.
	Confirm                        string
	AllowNoOwner, EnableGroupsOnly bool
}

// enforceData previews the org and lists its runs.
func (c *console) enforceData(r *http.Request) (uiEnforceData, error) {
	orgID := auth.PrincipalFrom(r.Context()).OrgID
	svc := c.cfg.Enforce
	// The drift report holds the fresh preview: one snapshot for both.
	drift, err := svc.Drift(r.Context(), orgID)
	if err != nil {
		return uiEnforceData{}, err
	}
	set, err := c.cfg.Service.Settings(r.Context(), orgID)
	if err != nil {
		return uiEnforceData{}, err
	}
	pv := api.EnforcePreview{Org: drift.Org, GroupsOnly: set.GroupsOnly, Plan: drift.Plan}
	offset := uiOffset(r)
	runs, total, err := svc.Runs(r.Context(), orgID, store.Page{Offset: offset, Limit: uiPageSize})
	if err != nil {
		return uiEnforceData{}, err
	}
	d := uiEnforceData{Org: pv.Org, GroupsOnly: pv.GroupsOnly, Runs: runs,
		Pager: pager(r, offset, len(runs), total), Drift: drift}
	d.uiPlan = newUIPlan(&d.Drift.Plan)
	switch sc, err := svc.Schedule(r.Context(), orgID); {
	case err == nil:
		d.Schedule = &sc
	case !errors.Is(err, enforcegroups.ErrNoSchedule):
		return uiEnforceData{}, err
	}
	return d, nil
}

func (c *console) enforcePage(w http.ResponseWriter, r *http.Request) {
	c.showEnforce(w, r, http.StatusOK, "", "", nil)
}

// showEnforce renders a fresh preview with an optional banner; posted, when set, carries
// the form values to show again.
func (c *console) showEnforce(w http.ResponseWriter, r *http.Request, status int, notice, errMsg string, posted *uiEnforceData) {
	d, err := c.enforceData(r)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	if posted != nil {
		d.Confirm, d.AllowNoOwner, d.EnableGroupsOnly = posted.Confirm, posted.AllowNoOwner, posted.EnableGroupsOnly
	}
	c.render(w, r, status, "enforce", uiView{Title: "Enforce groups", Nav: "enforce", Notice: notice, Error: errMsg, Data: d})
}

// enforceApply applies the previewed plan once the admin typed the org's name. A wrong name
// applies nothing; a plan that moved since the preview (fingerprint) applies nothing and
// shows the new preview.
func (c *console) enforceApply(w http.ResponseWriter, r *http.Request) {
	posted := &uiEnforceData{Confirm: r.PostFormValue("confirm"), AllowNoOwner: r.PostFormValue("allowNoOwner") == "on",
		EnableGroupsOnly: r.PostFormValue("enableGroupsOnly") == "on"}
	org, err := c.cfg.Service.Org(r.Context(), orgOf(r))
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	if posted.Confirm != org.Name {
		msg := "To apply, type the organization's name exactly: " + org.Name + ". Nothing was applied."
		if posted.Confirm != "" {
			msg = "You typed “" + posted.Confirm + "”, which is not the organization's name (" + org.Name + "). Nothing was applied."
		}
		posted.Confirm = ""
		c.showEnforce(w, r, http.StatusUnprocessableEntity, "", msg, posted)
		return
	}
	res, err := c.cfg.Enforce.Apply(r.Context(), org.ID, api.EnforceApplyRequest{
		Fingerprint: r.PostFormValue("fingerprint"), AllowNoOwner: posted.AllowNoOwner, EnableGroupsOnly: posted.EnableGroupsOnly})
	var stale *enforcegroups.StaleError
	var noOwner *enforcegroups.NoOwnerError
	switch {
	case errors.As(err, &stale):
		posted.Confirm = ""
		c.showEnforce(w, r, http.StatusConflict, "",
			"The organization changed since your preview, so nothing was applied. Below is the new preview: review it and apply again.", posted)
		return
	case errors.As(err, &noOwner):
		c.showEnforce(w, r, http.StatusConflict, "", noOwnerMessage(noOwner.Org), posted)
		return
	case errors.Is(err, enforcegroups.ErrNoFingerprint):
		c.showEnforce(w, r, http.StatusBadRequest, "", "The form did not carry the preview's fingerprint; nothing was applied. Review the preview below and apply again.", nil)
		return
	case err != nil:
		c.failErr(w, r, err)
		return
	}
	if !res.Applied {
		notice := "There was nothing to change, so nothing was applied and no run was recorded."
		if posted.EnableGroupsOnly {
			notice += " Groups-only mode is on."
		}
		c.showEnforce(w, r, http.StatusOK, notice, "", nil)
		return
	}
	http.Redirect(w, r, uiPrefix+"/enforce/runs/"+res.RunID+"?result=applied", http.StatusSeeOther)
}

// noOwnerMessage words the no-owner refusal for the console, which has a checkbox where the
// CLI has a flag.
func noOwnerMessage(org string) string {
	return "Nothing was applied: afterwards no user or service account would be an owner of organization “" + org +
		"”. Grant owner on the organization to a group first, or tick “Allow the organization to be left without an owner”."
}

type uiRunData struct {
	Run api.EnforceRun
	uiPlan
}

func (c *console) runData(r *http.Request) (uiRunData, error) {
	run, err := c.cfg.Enforce.Run(r.Context(), auth.PrincipalFrom(r.Context()).OrgID, r.PathValue("run"))
	if err != nil {
		return uiRunData{}, err
	}
	d := uiRunData{Run: run}
	if run.Plan != nil {
		d.uiPlan = newUIPlan(run.Plan)
		d.Applied = true
	}
	return d, nil
}

// enforceRun shows a run: who applied it when, its plan, and what its undo did.
func (c *console) enforceRun(w http.ResponseWriter, r *http.Request) {
	d, err := c.runData(r)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	var notice string
	switch r.URL.Query().Get("result") {
	case "applied":
		notice = "Applied. Run " + d.Run.ID + " recorded with a restore point: undo it from this page if needed."
	case "undone":
		if d.Run.Undo != nil {
			notice = "Run " + d.Run.ID + " undone: see what was restored and what was skipped below."
		}
	}
	c.render(w, r, http.StatusOK, "run", uiView{Title: "Run " + d.Run.ID, Nav: "enforce", Notice: notice, Data: d})
}

// enforceUndoConfirm is the undo's second step: what the restore point holds, and the
// button that restores it.
func (c *console) enforceUndoConfirm(w http.ResponseWriter, r *http.Request) {
	d, err := c.runData(r)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	if d.Run.UndoneAt != nil {
		http.Redirect(w, r, uiPrefix+"/enforce/runs/"+d.Run.ID, http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "undo", uiView{Title: "Undo run " + d.Run.ID, Nav: "enforce", Data: d})
}

// enforceUndo undoes a run and shows its result on the run's page.
func (c *console) enforceUndo(w http.ResponseWriter, r *http.Request) {
	res, err := c.cfg.Enforce.Undo(r.Context(), auth.PrincipalFrom(r.Context()).OrgID, r.PathValue("run"))
	if errors.Is(err, enforcegroups.ErrAlreadyUndone) {
		d, rerr := c.runData(r)
		if rerr != nil {
			c.failErr(w, r, rerr)
			return
		}
		c.render(w, r, http.StatusConflict, "run", uiView{Title: "Run " + d.Run.ID, Nav: "enforce",
			Error: "This run was already undone; nothing was changed.", Data: d})
		return
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, uiPrefix+"/enforce/runs/"+res.RunID+"?result=undone", http.StatusSeeOther)
}
