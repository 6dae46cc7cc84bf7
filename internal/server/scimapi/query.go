package scimapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/scim/filter"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// Paging limits, advertised in /ServiceProviderConfig (filter.maxResults, pagination).
const (
	scimDefaultCount = 100
	scimMaxCount     = 1000
	// scanBatch is how many candidates the in-memory filter path reads per store call.
	scanBatch = 500
)

// scimQuery is a parsed list or search request (RFC 7644 §3.4.2, RFC 9865).
type scimQuery struct {
	filter     string
	startIndex int // 1-based
	count      int
	sortBy     string
	descending bool
	cursor     bool   // cursor paging was asked for
	after      string // the id of the resource a cursor points after ("": from the start)
	attributes string
	excluded   string
}

// qget returns a query parameter, its name matched case-insensitively (clients vary).
func qget(q url.Values, name string) (string, bool) {
	if v, ok := q[name]; ok && len(v) > 0 {
		return v[0], true
	}
	for k, v := range q {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

// parseListQuery reads a GET query string.
func parseListQuery(q url.Values) (scimQuery, error) {
	raw := map[string]string{}
	for _, k := range []string{"filter", "startIndex", "count", "sortBy", "sortOrder", "attributes", "excludedAttributes", "cursor"} {
		if v, ok := qget(q, k); ok {
			raw[k] = v
		}
	}
	return buildQuery(raw)
}

// parseSearchBody reads a POST …/.search body (RFC 7644 §3.4.3). Member names are matched
// case-insensitively; attributes may be an array or a comma-separated string.
func parseSearchBody(b []byte) (scimQuery, error) {
	if len(strings.TrimSpace(string(b))) == 0 {
		return buildQuery(map[string]string{})
	}
	m, err := decodeSCIMObject(b)
	if err != nil {
		return scimQuery{}, err
	}
	names := map[string]string{"filter": "filter", "startindex": "startIndex", "count": "count", "sortby": "sortBy",
		"sortorder": "sortOrder", "attributes": "attributes", "excludedattributes": "excludedAttributes", "cursor": "cursor"}
	raw := map[string]string{}
	for k, v := range m {
		name, ok := names[strings.ToLower(k)]
		if !ok {
			continue // schemas and anything else
		}
		switch x := v.(type) {
		case nil:
		case string:
			raw[name] = x
		case json.Number:
			raw[name] = x.String()
		case []any:
			parts := make([]string, 0, len(x))
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return scimQuery{}, scim.ErrInvalidValue("%q must be an array of attribute names", name)
				}
				parts = append(parts, s)
			}
			raw[name] = strings.Join(parts, ",")
		default:
			return scimQuery{}, scim.ErrInvalidValue("%q has the wrong type (%T)", name, v)
		}
	}
	return buildQuery(raw)
}

func buildQuery(raw map[string]string) (scimQuery, error) {
	q := scimQuery{
		filter: raw["filter"], startIndex: 1, count: scimDefaultCount, sortBy: strings.TrimSpace(raw["sortBy"]),
		attributes: raw["attributes"], excluded: raw["excludedAttributes"],
	}
	if v, ok := raw["startIndex"]; ok && strings.TrimSpace(v) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return q, scim.ErrInvalidValue("startIndex %q is not an integer (it is 1-based: startIndex=1 is the first result)", v)
		}
		q.startIndex = max(n, 1)
	}
	if v, ok := raw["count"]; ok && strings.TrimSpace(v) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return q, scim.ErrInvalidValue("count %q is not an integer", v)
		}
		q.count = min(max(n, 0), scimMaxCount)
	}
	switch strings.ToLower(strings.TrimSpace(raw["sortOrder"])) {
	case "", "ascending":
	case "descending":
		q.descending = true
	default:
		return q, scim.ErrInvalidValue("sortOrder %q: use ascending or descending", raw["sortOrder"])
	}
	if c, ok := raw["cursor"]; ok {
		if _, has := raw["startIndex"]; has {
			return q, scim.ErrInvalidValue("use either cursor or startIndex paging, not both (RFC 9865)")
		}
		q.cursor = true
		if c != "" {
			id, err := decodeCursor(c)
			if err != nil {
				return q, err
			}
			q.after = id
		}
		if q.sortBy != "" {
			return q, scim.ErrInvalidValue("cursor paging returns results in creation order and cannot be combined with sortBy; use startIndex paging to sort")
		}
	}
	return q, nil
}

// Cursors are opaque to clients: base64url of "v2:" and the id of the last resource
// returned. They carry nothing global: no Seq (a global row number would tell one org how
// many rows the others created), only an id the client was just shown, so an org's cursors
// are the same whatever other orgs do. The server resolves the id to its Seq in the caller's
// org when the cursor comes back (store.PageKey, deleted resources included), so a cursor
// is verified without any key (servers sharing a database need share nothing else): one
// that does not decode, or that names no resource of this org and type (another org's
// cursor, a /Users cursor on /Groups, an edited one, a v1 cursor of an older server) is
// refused with 400 invalidCursor (RFC 9865 §5). An edited cursor that names another resource
// of the caller's own org selects another page of what the caller may read anyway.
const cursorPrefix = "v2:"

// maxCursorID bounds the id a cursor may carry (ids are UUIDs; clients may choose their own
// for nothing here, so 256 bytes is generous).
const maxCursorID = 256

func encodeCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + id))
}

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(c, "="))
	if err == nil && strings.HasPrefix(string(b), cursorPrefix) {
		if id := string(b[len(cursorPrefix):]); id != "" && len(id) <= maxCursorID && utf8.ValidString(id) {
			return id, nil
		}
	}
	return "", invalidCursor(c)
}

// invalidCursor is RFC 9865's 400 for cursor c.
func invalidCursor(c string) *scim.Error {
	return &scim.Error{Status: http.StatusBadRequest, ScimType: "invalidCursor",
		Detail: "cursor " + strconv.Quote(truncateText(c, 64)) + " is not one this server issued for this organization and resource type; start again with cursor= (empty) and follow nextCursor"}
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// scimRow is one candidate resource of a list: the stored row and, once rendered, its SCIM
// document (without groups/members until those are loaded).
type scimRow struct {
	seq      int64
	user     store.User
	group    store.Group
	displays map[string]string
	doc      map[string]any // nil until needed: answers are written from the stored JSON when they can
	groups   []store.Group  // a user's groups, once related
	related  bool           // groups (User) or members (Group) are loaded, and in doc if doc is set
}

// id is the resource's id.
func (r *scimRow) id() string {
	if r.group.ID != "" {
		return r.group.ID
	}
	return r.user.ID
}

// listExec runs one list query of one resource type inside a read transaction.
type listExec struct {
	s    *API
	ctx  context.Context
	tx   store.Tx
	org  string
	base string
	kind scimKind
	plan *filterPlan
	sort *sortSpec
	// stored keeps, by user id, the canonical members of the stored documents of the page
	// being listed, split once when deciding which users need the emails table
	// (store.Query.EmailsFor) and used again to write them.
	stored map[string][]scim.RawMember
}

// page is a window of results: index paging (offset, limit) or cursor paging (after,
// limit).
type page struct {
	offset int
	limit  int
	cursor bool
	after  int64 // the Seq the cursor's resource has (0: from the start)
}

type pageResult struct {
	rows  []*scimRow
	total int
	next  string // the id nextCursor names; "" when there is no next page
}

func (e *listExec) list(q store.Query) ([]*scimRow, int, error) {
	if e.kind == scimGroups {
		gs, total, err := e.tx.ListGroups(e.ctx, e.org, q)
		if err != nil {
			return nil, 0, err
		}
		rows := make([]*scimRow, len(gs))
		for i := range gs {
			rows[i] = &scimRow{seq: gs[i].Seq, group: gs[i]}
		}
		return rows, total, nil
	}
	// A user's emails are rendered from its stored document; the emails table is read only
	// for documents without any (or that are not canonical, and so are decoded).
	q.EmailsFor = func(u store.User) bool {
		ms, ok := storedMembers(u.Doc)
		if ok && e.stored != nil {
			e.stored[u.ID] = ms
		}
		return !ok || !hasMember(ms, "emails")
	}
	us, total, err := e.tx.ListUsers(e.ctx, e.org, q)
	if err != nil {
		return nil, 0, err
	}
	rows := make([]*scimRow, len(us))
	for i := range us {
		rows[i] = &scimRow{seq: us[i].Seq, user: us[i]}
	}
	return rows, total, nil
}

// run answers one page. When the SQL part of the filter is exact and the sort (if any) is
// a store field, the store pages and counts; otherwise every candidate is read in Seq-order
// batches, matched (and sorted) in memory, and counted, so totalResults and the page are
// right whatever the filter.
func (e *listExec) run(p page) (pageResult, error) {
	q := store.Query{Filter: e.plan.cond}
	if e.sort != nil && e.sort.field != "" {
		q.Sort, q.Desc = e.sort.field, e.sort.desc
	}
	if e.plan.residual == nil && (e.sort == nil || e.sort.field != "") {
		if p.cursor {
			if p.limit == 0 {
				_, total, err := e.list(q)
				return pageResult{total: total}, err
			}
			// One more than asked, to know whether a next page exists. After 0 is the
			// start: Seq order (sortBy is refused with cursors), offset 0.
			q.Page = store.Page{After: p.after, Limit: p.limit + 1}
		} else {
			q.Page = store.Page{Offset: p.offset, Limit: p.limit}
		}
		if e.kind == scimUsers {
			e.stored = map[string][]scim.RawMember{}
		}
		rows, total, err := e.list(q)
		if err != nil {
			return pageResult{}, err
		}
		res := pageResult{rows: rows, total: total}
		if p.cursor && len(rows) > p.limit {
			res.rows = rows[:p.limit]
			res.next = res.rows[p.limit-1].id()
		}
		return res, nil
	}
	return e.scan(p)
}

func (e *listExec) scan(p page) (pageResult, error) {
	var res pageResult
	var all []*scimRow // only when sorting in memory
	var scan scanGuard
	defer scan.done()
	if err := e.startScan(&scan); err != nil {
		return pageResult{}, err
	}
	q := store.Query{Filter: e.plan.cond, SkipTotal: true}
	var last int64
	for {
		q.Page = store.Page{After: last, Limit: scanBatch} // After 0: from the start
		rows, _, err := e.list(q)
		if err != nil {
			return pageResult{}, err
		}
		if err := scan.next(e, len(rows)); err != nil {
			return pageResult{}, err
		}
		if len(rows) == 0 {
			break
		}
		last = rows[len(rows)-1].seq
		if err := e.render(rows); err != nil {
			return pageResult{}, err
		}
		if e.needRelated() {
			if err := e.loadRelated(rows); err != nil {
				return pageResult{}, err
			}
		}
		for _, r := range rows {
			if e.plan.residual != nil && !residualMatch(e.plan.residual, r, e.kind == scimUsers) {
				continue
			}
			res.total++
			switch {
			case e.sort != nil:
				all = append(all, r)
			case p.cursor:
				if r.seq <= p.after {
					continue
				}
				if len(res.rows) < p.limit {
					res.rows = append(res.rows, r)
				} else if res.next == "" && p.limit > 0 {
					res.next = res.rows[len(res.rows)-1].id()
				}
			default:
				if i := res.total - 1; i >= p.offset && i < p.offset+p.limit {
					res.rows = append(res.rows, r)
				}
			}
		}
		if len(rows) < scanBatch {
			break
		}
	}
	if e.sort != nil {
		e.sort.sortRows(all)
		lo := min(p.offset, len(all))
		hi := min(lo+p.limit, len(all))
		res.rows = all[lo:hi]
	}
	return res, nil
}

// needRelated says whether the in-memory filter or sort reads groups (User) or members
// (Group), which the stored document does not hold.
func (e *listExec) needRelated() bool {
	name := "groups"
	if e.kind == scimGroups {
		name = "members"
	}
	return (e.plan.refs != nil && e.plan.refs[name]) || (e.sort != nil && e.sort.attr == name)
}

// render builds the documents of rows that have none yet.
func (e *listExec) render(rows []*scimRow) error {
	for i, r := range rows {
		if r.doc != nil {
			continue
		}
		scanYield(i)
		if e.kind == scimGroups {
			doc, displays, err := service.LoadGroupDoc(r.group)
			if err != nil {
				return err
			}
			r.displays = displays
			r.doc = renderGroup(r.group, doc, e.base, nil, nil)
			continue
		}
		doc, err := service.DecodeDoc(r.user.Doc)
		if err != nil {
			return err
		}
		r.doc = renderUser(r.user, doc, e.base, r.groups)
	}
	return nil
}

// output is row r as the answer shows it, projected by proj: a row not rendered yet is
// written straight from its stored JSON when userJSON or groupJSON can.
func (e *listExec) output(r *scimRow, proj *scim.Projection) (any, error) {
	if r.doc == nil && e.kind == scimGroups {
		b, ok, err := groupJSON(r.group, e.base, proj)
		if err != nil || ok {
			return json.RawMessage(b), err
		}
		if err := e.render([]*scimRow{r}); err != nil {
			return nil, err
		}
	}
	if r.doc == nil && e.kind == scimUsers {
		ms, ok := e.stored[r.user.ID]
		var b []byte
		var err error
		if ok {
			b, ok, err = userJSONFrom(ms, r.user, e.base, r.groups, proj)
		} else {
			b, ok, err = userJSON(r.user, e.base, r.groups, proj)
		}
		if err != nil {
			return nil, err
		}
		if ok {
			return json.RawMessage(b), nil
		}
		if err := e.render([]*scimRow{r}); err != nil {
			return nil, err
		}
	}
	return proj.Project(r.doc), nil
}

// loadRelated adds groups (User) or members (Group) to rows, and to their documents when
// rendered: members of a page of groups in one MembersOf call; groups of a page of users in
// one GroupsOfMembers call.
func (e *listExec) loadRelated(rows []*scimRow) error {
	var need []*scimRow
	for _, r := range rows {
		if !r.related {
			need = append(need, r)
		}
	}
	if len(need) == 0 {
		return nil
	}
	if e.kind == scimGroups {
		if err := e.render(need); err != nil { // members go into the rendered document
			return err
		}
		ids := make([]string, len(need))
		for i, r := range need {
			ids[i] = r.group.ID
		}
		mm, err := e.tx.MembersOf(e.ctx, e.org, ids)
		if err != nil {
			return err
		}
		for _, r := range need {
			renderGroup(r.group, r.doc, e.base, nonEmpty(mm[r.group.ID]), r.displays)
			r.related = true
		}
		return nil
	}
	ids := make([]string, len(need))
	for i, r := range need {
		ids[i] = r.user.ID
	}
	gm, err := e.tx.GroupsOfMembers(e.ctx, e.org, ids)
	if err != nil {
		return err
	}
	for _, r := range need {
		r.groups, r.related = gm[r.user.ID], true
		if r.doc != nil {
			renderUser(r.user, r.doc, e.base, r.groups)
		}
	}
	return nil
}

// nonEmpty returns nil for an empty member list, so that an empty group renders without
// "members".
func nonEmpty(ms []store.Member) []store.Member {
	if len(ms) == 0 {
		return nil
	}
	return ms
}

// sortSpec is a parsed sortBy: a store field (pushed down) or scim's in-memory Sorter.
type sortSpec struct {
	field  store.Field // "" when sorted in memory only
	desc   bool
	attr   string // lower-cased top-level attribute name
	sorter *scim.Sorter
}

// planSort resolves sortBy against rt; an unknown attribute is 400 invalidValue.
func planSort(rt *scim.ResourceType, sortBy string, desc bool) (*sortSpec, error) {
	if sortBy == "" {
		return nil, nil
	}
	sorter, err := scim.NewSorter(rt, sortBy, desc)
	if err != nil {
		return nil, err
	}
	sp := &sortSpec{desc: desc, sorter: sorter}
	if p, err := filter.ParsePath(sortBy); err == nil && p.Filter == nil {
		sp.attr = strings.ToLower(p.Attr.Attr)
		if f, ok := pushableField(rt, p.Attr); ok && f.field != store.FieldEmail && f.field != store.FieldMember {
			sp.field = f.field
		}
	}
	return sp, nil
}

// sortRows sorts rendered rows in memory; ties keep Seq order.
func (sp *sortSpec) sortRows(rows []*scimRow) {
	sort.SliceStable(rows, func(a, b int) bool {
		if c := sp.sorter.Compare(rows[a].doc, rows[b].doc); c != 0 {
			return c < 0
		}
		return rows[a].seq < rows[b].seq
	})
}
