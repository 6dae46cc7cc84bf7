// Package csvsafe writes CSV (RFC 4180) that a spreadsheet opens as data. Exports of access
// reviews, enforce previews and drift reports carry names an identity provider chose (a
// SCIM userName, a group's displayName): a cell that starts with "=", "+", "-", "@", a tab
// or a carriage return is a formula to Excel, LibreOffice and Google Sheets, so one group
// named `=HYPERLINK(…)` would run in the auditor's spreadsheet. Such cells are written with
// a leading apostrophe (OWASP's advice for CSV injection), which spreadsheets show as text
// and which a reader of the raw file can strip.
//
// It imports only the standard library.
package csvsafe

import (
	"encoding/csv"
	"io"
)

// Cell returns s as it is safe to write: s itself, or s after an apostrophe when s starts
// with a character that makes a spreadsheet read it as a formula.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Writer is a csv.Writer whose Write and WriteAll pass every cell through Cell.
type Writer struct {
	*csv.Writer
	buf []string
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{Writer: csv.NewWriter(w)} }

// Write writes one record, each cell through Cell.
func (w *Writer) Write(record []string) error {
	w.buf = w.buf[:0]
	for _, c := range record {
		w.buf = append(w.buf, Cell(c))
	}
	return w.Writer.Write(w.buf)
}

// WriteAll writes records, each cell through Cell, and flushes.
func (w *Writer) WriteAll(records [][]string) error {
	for _, r := range records {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
