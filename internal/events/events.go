// Package events owns what rolecall's change events mean and how they look on the wire: the
// catalogue of event types (com.rolecall.<noun>.<verb>, one line of meaning each), the typed
// data payload of each type, and the CloudEvents 1.0 structured-mode JSON envelope that the
// feed (/api/v1/events) and webhooks send. docs/events.md is generated from the catalogue
// (go test ./internal/events -update).
//
// Storing events, numbering them by the org's revision and waking readers is package store's
// job (store.EventTx); use cases make events with New and append them with
// store.EventTx.AppendEvents, last in their transaction. This package does no I/O and may
// import only the standard library and package store (for store.Event).
package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// CloudEvents constants.
const (
	// SpecVersion is the CloudEvents version of the envelope.
	SpecVersion = "1.0"
	// DataContentType is the media type of Data.
	DataContentType = "application/json"
	// MediaType is the Content-Type of a structured-mode CloudEvent sent over HTTP (a
	// webhook body, one feed item on its own).
	MediaType = "application/cloudevents+json"
)

// CloudEvent is one event as a CloudEvents 1.0 structured-mode JSON document. The extension
// attributes orgid and revision say which org's feed the event belongs to and where: revision
// is the feed cursor after this event. It is a string because CloudEvents integers are 32-bit
// and a revision may outgrow them; it holds a decimal number.
type CloudEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data,omitempty"`
	OrgID           string          `json:"orgid"`
	Revision        string          `json:"revision"`
	// Actor is who made the change (a token's name, "scim:<token>", "system"); RequestID
	// the request that made it, as in the audit log. Both may be empty.
	Actor     string `json:"actor,omitempty"`
	RequestID string `json:"requestid,omitempty"`
}

// Source returns the CloudEvents source of an org's events: base (the server's public URL,
// e.g. "https://rolecall.example.com"; empty for a relative reference) + "/orgs/" + orgID.
func Source(base, orgID string) string {
	return strings.TrimRight(base, "/") + "/orgs/" + orgID
}

// Data is implemented by every payload type. Subject names what changed, relative to the
// org's source (e.g. "users/<id>"): the CloudEvents subject, by which receivers can filter.
type Data interface {
	Subject() string
}

// Subject implementations: the collection (as in the admin API's paths) and the id.
func (d UserData) Subject() string       { return "users/" + d.User.ID }
func (d GroupData) Subject() string      { return "groups/" + d.Group.ID }
func (d MembershipData) Subject() string { return "groups/" + d.Group.ID + "/members/" + d.Member.ID }
func (d GrantData) Subject() string      { return "bindings/" + d.BindingID }
func (d ResourceData) Subject() string {
	switch d.Resource.Kind {
	case "organization":
		return "organization"
	case "project":
		return "projects/" + d.Resource.ID
	default:
		return "clouds/" + d.Resource.ID
	}
}
func (d ServiceAccountData) Subject() string { return "serviceAccounts/" + d.ServiceAccount.ID }
func (d EnforceRunData) Subject() string     { return "runs/" + d.RunID }
func (d SettingsData) Subject() string       { return "settings" }
func (d ActionsData) Subject() string        { return "actions/" + d.Changed }
func (d RulesData) Subject() string          { return "rules/changes/" + d.ChangeID }
func (d TokenData) Subject() string          { return "tokens/" + d.Token.ID }
func (d DriftData) Subject() string          { return "drift" }
func (d ScheduledRunData) Subject() string   { return "schedule" }
func (d ExemptionData) Subject() string      { return "users/" + d.User.ID + "/exemption" }

// ErrUnknownType is returned by New for a type not in the catalogue.
var ErrUnknownType = errors.New("events: unknown event type")

// New makes the stored event of type t with payload d, ready for store.EventTx.AppendEvents
// (which numbers it and gives it an id and a time). d must be the payload type the catalogue
// gives t (e.g. UserData for UserDeactivated): a mismatch is a programming error, reported
// rather than sent to receivers who expect the documented shape.
func New(t Type, d Data) (store.Event, error) {
	info, ok := Lookup(t)
	if !ok {
		return store.Event{}, fmt.Errorf("%w %q", ErrUnknownType, t)
	}
	if got, want := reflect.TypeOf(d), reflect.TypeOf(info.Example); got != want {
		return store.Event{}, fmt.Errorf("events: %s carries %v, not %v", t, want, got)
	}
	b, err := json.Marshal(d)
	if err != nil {
		return store.Event{}, fmt.Errorf("events: %s: %w", t, err)
	}
	return store.Event{Type: string(t), Subject: d.Subject(), Data: b}, nil
}

// Encode returns the CloudEvent of a stored event; base is the server's public URL (Source).
func Encode(base string, e store.Event) CloudEvent {
	return CloudEvent{
		SpecVersion:     SpecVersion,
		ID:              e.ID,
		Source:          Source(base, e.OrgID),
		Type:            e.Type,
		Subject:         e.Subject,
		Time:            e.Time.UTC(),
		DataContentType: DataContentType,
		Data:            e.Data,
		OrgID:           e.OrgID,
		Revision:        strconv.FormatInt(e.Seq, 10),
		Actor:           e.Actor,
		RequestID:       e.RequestID,
	}
}

// Marshal returns the structured-mode JSON body of a stored event (a webhook delivery's body).
func Marshal(base string, e store.Event) ([]byte, error) {
	return json.Marshal(Encode(base, e))
}

// typeForm is the form of an event type: reverse-DNS, "com.rolecall." then a noun and a verb
// in lower case with underscores.
var typeForm = regexp.MustCompile(`^com\.rolecall\.[a-z][a-z_]*\.[a-z][a-z_]*$`)

// Validate checks that ce is a valid CloudEvents 1.0 event as rolecall sends it: the
// required attributes present (specversion 1.0, id, source, type), the type in reverse-DNS
// form, a time, JSON data, and the orgid and revision extensions.
func Validate(ce CloudEvent) error {
	var errs []error
	if ce.SpecVersion != SpecVersion {
		errs = append(errs, fmt.Errorf("specversion %q, want %q", ce.SpecVersion, SpecVersion))
	}
	for _, a := range []struct{ name, v string }{{"id", ce.ID}, {"source", ce.Source}, {"type", ce.Type}, {"orgid", ce.OrgID}} {
		if a.v == "" {
			errs = append(errs, fmt.Errorf("%s is empty", a.name))
		}
	}
	if ce.Type != "" && !typeForm.MatchString(ce.Type) {
		errs = append(errs, fmt.Errorf("type %q is not of the form com.rolecall.<noun>.<verb>", ce.Type))
	}
	if ce.Time.IsZero() {
		errs = append(errs, errors.New("time is missing"))
	}
	if ce.DataContentType != DataContentType {
		errs = append(errs, fmt.Errorf("datacontenttype %q, want %q", ce.DataContentType, DataContentType))
	}
	if ce.Data != nil && !json.Valid(ce.Data) {
		errs = append(errs, errors.New("data is not JSON"))
	}
	if n, err := strconv.ParseInt(ce.Revision, 10, 64); err != nil || n < 1 {
		errs = append(errs, fmt.Errorf("revision %q is not a positive decimal number", ce.Revision))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("events: invalid CloudEvent: %w", err)
	}
	return nil
}
