package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
)

// The drift schedule page (/ui/enforce/schedule, linked from the enforce page's drift
// section): the org's schedule — interval, auto-apply and its limits, when the next run is
// due, what the last run did — and the forms that set or change it and turn it off. Each
// write calls the enforcegroups use case behind PUT and DELETE /api/v1/enforce/schedule, so
// the validation, the one transaction and the audit event (the session's token name as the
// actor) are the service's, as they are for the API and the CLI; the handlers only read the
// form's fields and word the outcome for a person.

// uiScheduleForm is the schedule form's fields as typed: kept as text so that a refused
// form comes back exactly as it was posted.
type uiScheduleForm struct {
	Every              string
	AutoApply          bool
	MaxUsersRemoved    string
	MaxBindingsDeleted string
}

type uiScheduleData struct {
	// Schedule is the org's schedule; nil when it has none.
	Schedule *api.DriftSchedule
	Form     uiScheduleForm
}

// scheduleFormOf fills the form with the schedule's settings, or the CLI's example interval
// when there is none.
func scheduleFormOf(sc *api.DriftSchedule) uiScheduleForm {
	if sc == nil {
		return uiScheduleForm{Every: "24h", MaxUsersRemoved: "0", MaxBindingsDeleted: "0"}
	}
	return uiScheduleForm{Every: uiInterval(sc.Every), AutoApply: sc.AutoApply,
		MaxUsersRemoved: strconv.Itoa(sc.MaxUsersRemoved), MaxBindingsDeleted: strconv.Itoa(sc.MaxBindingsDeleted)}
}

func (c *console) schedulePage(w http.ResponseWriter, r *http.Request) {
	c.showSchedule(w, r, http.StatusOK, "", nil)
}

// showSchedule renders the schedule page with an optional error banner; posted, when set, is
// the refused form to show again instead of the stored settings.
func (c *console) showSchedule(w http.ResponseWriter, r *http.Request, status int, errMsg string, posted *uiScheduleForm) {
	var d uiScheduleData
	switch sc, err := c.cfg.Enforce.Schedule(r.Context(), orgOf(r)); {
	case err == nil:
		d.Schedule = &sc
	case !errors.Is(err, enforcegroups.ErrNoSchedule):
		c.failErr(w, r, err)
		return
	}
	d.Form = scheduleFormOf(d.Schedule)
	if posted != nil {
		d.Form = *posted
	}
	c.render(w, r, status, "schedule", uiView{Title: "Drift schedule", Nav: "enforce", Error: errMsg, Data: d})
}

// scheduleSet sets or changes the schedule. Blank limits are 0; a limit that is not a whole
// number is refused here (the service takes numbers); everything else — the interval's form
// and range, negative limits — is the service's to refuse, and its message is shown with the
// form as posted. Nothing is written unless the service accepts the whole form.
func (c *console) scheduleSet(w http.ResponseWriter, r *http.Request) {
	form := uiScheduleForm{Every: strings.TrimSpace(r.PostFormValue("every")), AutoApply: r.PostFormValue("autoApply") == "on",
		MaxUsersRemoved: strings.TrimSpace(r.PostFormValue("maxUsersRemoved")), MaxBindingsDeleted: strings.TrimSpace(r.PostFormValue("maxBindingsDeleted"))}
	req := api.SetDriftScheduleRequest{Every: form.Every, AutoApply: form.AutoApply}
	for _, f := range []struct {
		label, text string
		into        *int
	}{{uiMaxRemovedLabel, form.MaxUsersRemoved, &req.MaxUsersRemoved}, {uiMaxDeletedLabel, form.MaxBindingsDeleted, &req.MaxBindingsDeleted}} {
		if f.text == "" {
			continue
		}
		n, err := strconv.Atoi(f.text)
		if err != nil {
			c.showSchedule(w, r, http.StatusBadRequest, fmt.Sprintf("Nothing was changed: “%s” must be a whole number, 0 or more (you typed “%s”).", f.label, f.text), &form)
			return
		}
		*f.into = n
	}
	sc, err := c.cfg.Enforce.SetSchedule(r.Context(), orgOf(r), req)
	if err != nil {
		status, _, known := respond.Classify(err)
		if !known {
			c.failErr(w, r, err)
			return
		}
		c.showSchedule(w, r, status, scheduleMessage(err), &form)
		return
	}
	c.doneTo(w, r, uiPrefix+"/enforce/schedule", uiFlash{Notice: "Drift schedule set: every " + uiInterval(sc.Every) + ", " +
		scheduleDoes(sc) + ". The next run is due " + uiTime(sc.NextRunAt) + "."})
}

// scheduleOff turns the schedule off.
func (c *console) scheduleOff(w http.ResponseWriter, r *http.Request) {
	sc, err := c.cfg.Enforce.DeleteSchedule(r.Context(), orgOf(r))
	if errors.Is(err, enforcegroups.ErrNoSchedule) {
		c.doneTo(w, r, uiPrefix+"/enforce/schedule", uiFlash{Error: "Nothing was changed: this organization has no drift schedule to turn off."})
		return
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.doneTo(w, r, uiPrefix+"/enforce/schedule", uiFlash{Notice: "Drift schedule turned off (it ran every " + uiInterval(sc.Every) +
		"). Nothing runs by itself now; the Enforce groups page still shows the drift."})
}

// The form's labels, which the service's messages are reworded to name.
const (
	uiEveryLabel      = "Run every"
	uiMaxRemovedLabel = "Most users removed"
	uiMaxDeletedLabel = "Most direct grants deleted"
)

// scheduleWords turns the CLI flags the service's schedule messages name into the form's labels.
var scheduleWords = strings.NewReplacer(
	"--every 24h (at least 1m)", "“"+uiEveryLabel+"”, e.g. 24h (at least 1m)",
	"--max-removed", "“"+uiMaxRemovedLabel+"”",
	"--max-bindings-deleted", "“"+uiMaxDeletedLabel+"”",
)

// scheduleMessage words a refusal of the schedule service for the form: its text, with the
// form's labels where it names CLI flags, and "every" as the interval field.
func scheduleMessage(err error) string {
	msg := scheduleWords.Replace(err.Error())
	if rest, ok := strings.CutPrefix(msg, "every"); ok {
		msg = "“" + uiEveryLabel + "”" + rest
	}
	return "Nothing was changed: " + msg + "."
}

// scheduleDoes says in a few words what each due run of sc does.
func scheduleDoes(sc api.DriftSchedule) string {
	switch {
	case !sc.AutoApply:
		return "reports drift only"
	case sc.MaxUsersRemoved == 0 && sc.MaxBindingsDeleted == 0:
		return "auto-apply is on, but with both limits at 0 no run can change anything, so it reports only"
	}
	return fmt.Sprintf("applies enforce-groups without asking when it removes at most %d users and deletes at most %d direct grants (otherwise reports only)",
		sc.MaxUsersRemoved, sc.MaxBindingsDeleted)
}

// uiInterval shows a schedule's interval ("24h0m0s", as the API gives it) the way the form
// takes it: "24h0m0s" → "24h", "1h30m0s" → "1h30m", whole days from two on as days
// ("168h0m0s" → "7d").
func uiInterval(every string) string {
	d, err := time.ParseDuration(every)
	if err != nil || d <= 0 {
		return every
	}
	const day = 24 * time.Hour
	if d >= 2*day && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
