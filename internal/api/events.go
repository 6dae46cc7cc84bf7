package api

import "github.com/rolecall/rolecall/internal/events"

// EventPage is the answer of GET /api/v1/events: the org's change events after the cursor,
// oldest first, as CloudEvents 1.0 structured JSON (docs/events.md).
type EventPage struct {
	Events []events.CloudEvent `json:"events"`
	// Next is the cursor to resume from (after=Next): the revision of the last event
	// answered, or, when fewer than limit came, the revision read (events skipped by the
	// types filter included). A decimal number, as each event's revision.
	Next string `json:"next"`
	// Revision is the org's revision when the page was read.
	Revision string `json:"revision"`
}
