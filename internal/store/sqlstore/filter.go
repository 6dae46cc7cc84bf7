package sqlstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// This file translates store.Cond filters and store.Query sorting and paging into SQL. Values
// always travel as parameters; only column names, which come from the tables below, are
// written into the SQL text.

type fieldKind uint8

const (
	kExact  fieldKind = iota + 1 // text compared exactly (id, externalId)
	kFolded                      // text compared case-insensitively on a *_lower column
	kBool
	kTime
	kEmail  // emails.value: a row of user_emails
	kMember // members.value: a row of memberships
)

type fieldDef struct {
	col  string
	kind fieldKind
}

// entity describes a table that ListUsers/ListGroups filter and sort.
type entity struct {
	name   string // "user", "group": for messages
	from   string // table with alias
	alias  string
	fields map[store.Field]fieldDef
}

var usersEntity = &entity{
	name: "user", from: "users u", alias: "u",
	fields: map[store.Field]fieldDef{
		store.FieldID:           {"u.id", kExact},
		store.FieldUserName:     {"u.user_name_lower", kFolded},
		store.FieldExternalID:   {"u.external_id", kExact},
		store.FieldDisplayName:  {"u.display_name_lower", kFolded},
		store.FieldEmail:        {"", kEmail},
		store.FieldActive:       {"u.active", kBool},
		store.FieldCreated:      {"u.created", kTime},
		store.FieldLastModified: {"u.last_modified", kTime},
	},
}

var groupsEntity = &entity{
	name: "group", from: "groups g", alias: "g",
	fields: map[store.Field]fieldDef{
		store.FieldID:           {"g.id", kExact},
		store.FieldDisplayName:  {"g.display_name_lower", kFolded},
		store.FieldExternalID:   {"g.external_id", kExact},
		store.FieldActive:       {"g.active", kBool},
		store.FieldCreated:      {"g.created", kTime},
		store.FieldLastModified: {"g.last_modified", kTime},
		store.FieldMember:       {"", kMember},
	},
}

// sqlBuilder accumulates SQL text and its parameters. $1 is always the org id.
type sqlBuilder struct {
	d    *dialect
	b    strings.Builder
	args []any
}

func newBuilder(d *dialect, orgID string) *sqlBuilder {
	return &sqlBuilder{d: d, args: []any{orgID}}
}

// arg adds a parameter and returns its placeholder.
func (s *sqlBuilder) arg(v any) string {
	s.args = append(s.args, v)
	return ph(len(s.args))
}

func (s *sqlBuilder) w(parts ...string) {
	for _, p := range parts {
		s.b.WriteString(p)
	}
}

func invalidFilter(format string, a ...any) error {
	return fmt.Errorf("%w: filter: %s", store.ErrInvalid, fmt.Sprintf(format, a...))
}

var opNames = map[store.CondOp]string{
	store.CondAnd: "and", store.CondOr: "or", store.CondNot: "not", store.CondEq: "eq",
	store.CondNe: "ne", store.CondCo: "co", store.CondSw: "sw", store.CondEw: "ew",
	store.CondGt: "gt", store.CondGe: "ge", store.CondLt: "lt", store.CondLe: "le", store.CondPr: "pr",
}

func opName(op store.CondOp) string {
	if n, ok := opNames[op]; ok {
		return n
	}
	return fmt.Sprintf("op(%d)", op)
}

// cond writes c as a boolean SQL expression over entity e.
func (s *sqlBuilder) cond(e *entity, c *store.Cond) error {
	switch c.Op {
	case store.CondAnd, store.CondOr:
		if len(c.Args) == 0 {
			if c.Op == store.CondAnd {
				s.w("TRUE")
			} else {
				s.w("FALSE")
			}
			return nil
		}
		joiner := " AND "
		if c.Op == store.CondOr {
			joiner = " OR "
		}
		s.w("(")
		for i := range c.Args {
			if i > 0 {
				s.w(joiner)
			}
			if err := s.cond(e, &c.Args[i]); err != nil {
				return err
			}
		}
		s.w(")")
		return nil
	case store.CondNot:
		if len(c.Args) != 1 {
			return invalidFilter("not takes exactly one condition, got %d", len(c.Args))
		}
		s.w("(NOT ")
		if err := s.cond(e, &c.Args[0]); err != nil {
			return err
		}
		s.w(")")
		return nil
	}
	if _, ok := opNames[c.Op]; !ok {
		return invalidFilter("unknown operator %d", c.Op)
	}
	f, ok := e.fields[c.Field]
	if !ok {
		return invalidFilter("%ss cannot be filtered on %q", e.name, c.Field)
	}
	switch f.kind {
	case kExact, kFolded:
		v, err := textValue(c, f.kind == kFolded)
		if err != nil {
			return err
		}
		return s.text(f.col, c.Op, v)
	case kBool:
		return s.boolean(f.col, c)
	case kTime:
		return s.time(f.col, c)
	case kEmail:
		return s.email(c)
	case kMember:
		return s.member(c)
	}
	return invalidFilter("field %q", c.Field)
}

func textValue(c *store.Cond, folded bool) (string, error) {
	if c.Op == store.CondPr {
		return "", nil
	}
	v, ok := c.Value.(string)
	if !ok {
		return "", invalidFilter("%s %s needs a string value, got %T", c.Field, opName(c.Op), c.Value)
	}
	if folded {
		v = fold(v)
	}
	return v, nil
}

// text writes a comparison of a NOT NULL text column where ” means absent: every operator
// but ne is false on an absent value, and ne is true on it (RFC 7644 §3.4.2.2). Substring
// operators use instr/strpos and substr rather than LIKE, so no input needs escaping and
// SQLite's case-insensitive LIKE cannot break case-exact fields.
func (s *sqlBuilder) text(col string, op store.CondOp, v string) error {
	switch op {
	case store.CondPr:
		s.w(col, " <> ''")
		return nil
	case store.CondEq:
		s.w(col, " = ", s.arg(v))
		return nil
	case store.CondNe:
		s.w(col, " <> ", s.arg(v))
		return nil
	}
	p := s.arg(v)
	tp := "CAST(" + p + " AS TEXT)"
	s.w("(", col, " <> '' AND ")
	switch op {
	case store.CondCo:
		s.w(s.d.strpos, "(", col, ", ", tp, ") > 0")
	case store.CondSw:
		s.w("substr(", col, ", 1, length(", tp, ")) = ", tp)
	case store.CondEw:
		s.w("length(", col, ") >= length(", tp, ") AND substr(", col, ", length(", col, ") - length(", tp, ") + 1) = ", tp)
	case store.CondGt:
		s.w(col, " > ", tp)
	case store.CondGe:
		s.w(col, " >= ", tp)
	case store.CondLt:
		s.w(col, " < ", tp)
	case store.CondLe:
		s.w(col, " <= ", tp)
	default:
		return invalidFilter("operator %s does not apply to text", opName(op))
	}
	s.w(")")
	return nil
}

func (s *sqlBuilder) boolean(col string, c *store.Cond) error {
	if c.Op == store.CondPr {
		s.w("TRUE") // the column is NOT NULL: always present
		return nil
	}
	v, ok := c.Value.(bool)
	if !ok {
		return invalidFilter("%s %s needs a boolean value, got %T", c.Field, opName(c.Op), c.Value)
	}
	switch c.Op {
	case store.CondEq:
		s.w(col, " = ", s.arg(v))
	case store.CondNe:
		s.w(col, " <> ", s.arg(v))
	default:
		return invalidFilter("operator %s does not apply to boolean %s", opName(c.Op), c.Field)
	}
	return nil
}

var timeOps = map[store.CondOp]string{
	store.CondEq: " = ", store.CondNe: " <> ", store.CondGt: " > ", store.CondGe: " >= ",
	store.CondLt: " < ", store.CondLe: " <= ",
}

func (s *sqlBuilder) time(col string, c *store.Cond) error {
	if c.Op == store.CondPr {
		s.w("TRUE")
		return nil
	}
	var v time.Time
	switch x := c.Value.(type) {
	case time.Time:
		v = x
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return invalidFilter("%s %s needs a date-time, got %q", c.Field, opName(c.Op), x)
		}
		v = t
	default:
		return invalidFilter("%s %s needs a date-time, got %T", c.Field, opName(c.Op), c.Value)
	}
	sqlOp, ok := timeOps[c.Op]
	if !ok {
		return invalidFilter("operator %s does not apply to date-time %s", opName(c.Op), c.Field)
	}
	s.w(col, sqlOp, s.arg(s.d.t(v)))
	return nil
}

// email writes emails.value conditions as membership of u.id in a set of user_emails rows:
// `u.id IN (uncorrelated subquery)` lets `emails.value eq` run as an index lookup on
// user_emails followed by primary-key lookups, not a scan of users. A multi-valued attribute
// matches when any value does; ne is also true for a user with no email.
func (s *sqlBuilder) email(c *store.Cond) error {
	v, err := textValue(c, true)
	if err != nil {
		return err
	}
	if c.Op == store.CondNe {
		p := s.arg(v)
		s.w("(u.id IN (SELECT e.user_id FROM user_emails e WHERE e.org_id = $1 AND e.value_lower <> ", p,
			") OR u.id NOT IN (SELECT e.user_id FROM user_emails e WHERE e.org_id = $1))")
		return nil
	}
	s.w("u.id IN (SELECT e.user_id FROM user_emails e WHERE e.org_id = $1 AND ")
	if err := s.text("e.value_lower", c.Op, v); err != nil {
		return err
	}
	s.w(")")
	return nil
}

// liveMember is true for a membership row whose member still counts: a user (deleted users
// lose their memberships), or a group that is not deleted.
const liveMember = "(m.member_type = 'user' OR NOT EXISTS (SELECT 1 FROM groups dg WHERE dg.id = m.member_id AND dg.deleted_at IS NOT NULL))"

// member writes members.value conditions (groups): eq and pr, and ne as the negation of eq.
func (s *sqlBuilder) member(c *store.Cond) error {
	switch c.Op {
	case store.CondPr:
		s.w("g.id IN (SELECT m.group_id FROM memberships m WHERE m.org_id = $1 AND ", liveMember, ")")
		return nil
	case store.CondEq, store.CondNe:
		v, err := textValue(c, false)
		if err != nil {
			return err
		}
		if c.Op == store.CondNe {
			s.w("NOT ")
		}
		s.w("g.id IN (SELECT m.group_id FROM memberships m WHERE m.org_id = $1 AND m.member_id = ", s.arg(v),
			" AND ", liveMember, ")")
		return nil
	}
	return invalidFilter("members.value supports eq, ne and pr, not %s", opName(c.Op))
}

// sortCols maps Query.Sort to columns, per entity alias.
func sortCol(e *entity, f store.Field) (string, error) {
	switch f {
	case "":
		return "", nil
	case store.FieldEmail, store.FieldMember:
		return "", fmt.Errorf("%w: cannot sort %ss by %s", store.ErrInvalid, e.name, f)
	}
	d, ok := e.fields[f]
	if !ok {
		return "", fmt.Errorf("%w: cannot sort %ss by %s", store.ErrInvalid, e.name, f)
	}
	return d.col, nil
}

// listSQL builds the page query (selecting cols) and the count query of q over e in org.
// Live (non-deleted) rows only. With Page.After the order is Seq ascending whatever Sort says:
// After is a Seq cursor.
func listSQL(d *dialect, e *entity, orgID, cols string, q store.Query) (sel string, selArgs []any, count string, countArgs []any, rowsWanted bool, err error) {
	b := newBuilder(d, orgID)
	a := e.alias
	b.w(a, ".org_id = $1 AND ", a, ".deleted_at IS NULL")
	if q.Filter != nil {
		b.w(" AND ")
		if err := b.cond(e, q.Filter); err != nil {
			return "", nil, "", nil, false, err
		}
	}
	where := b.b.String()
	count = "SELECT count(*) FROM " + e.from + " WHERE " + where
	if q.Filter == nil && d.name == dialectSQLite {
		// Every live row of the org: live_counts holds that number, kept by triggers
		// (migrations/sqlite/0002_live_rows.sql), so the total costs one row read, not a walk
		// of the org's index.
		count = "SELECT coalesce((SELECT n FROM live_counts WHERE org_id = $1 AND kind = '" + e.name + "'), 0)"
	}
	countArgs = append([]any(nil), b.args...)

	page, rowsWanted := d.page(q.Page)
	if !rowsWanted {
		return "", nil, count, countArgs, false, nil
	}
	var order string
	if q.Page.After > 0 {
		b.w(" AND ", a, ".seq > ", b.arg(q.Page.After))
		order = a + ".seq"
	} else {
		col, err := sortCol(e, q.Sort)
		if err != nil {
			return "", nil, "", nil, false, err
		}
		dir := ""
		if q.Desc {
			dir = " DESC"
		}
		if col == "" {
			order = a + ".seq" + dir
		} else {
			order = col + dir + ", " + a + ".seq"
		}
	}
	sel = "SELECT " + cols + " FROM " + e.from + " WHERE " + b.b.String() + " ORDER BY " + order + page
	return sel, b.args, count, countArgs, true, nil
}
