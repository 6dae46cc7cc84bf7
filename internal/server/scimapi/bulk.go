package scimapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/service"
)

// POST /scim/v2/Bulk (RFC 7644 §3.7): many Users and Groups writes in one request.
//
// Semantics rolecall chose where the RFC leaves a choice:
//
//   - Each operation is its own transaction and its own audit event, exactly as if it had
//     been sent alone (the same code runs: createUser, patchGroup, …). An operation that
//     fails writes nothing and does not undo the operations before it (RFC 7644 §3.7: the
//     service provider continues as many changes as possible). A crash in the middle of a
//     Bulk request leaves every operation applied whole or not at all; the client learns
//     which from the resources, since it never received the BulkResponse.
//   - The request envelope is validated before anything is written: a body that is not a
//     BulkRequest, an operation without method or path, a method other than POST, PUT,
//     PATCH or DELETE, a path that is not /Users, /Users/{id}, /Groups or /Groups/{id} (in
//     any case), a POST without bulkId, a bulkId used twice, or a missing data object is
//     400 invalidSyntax for the whole request, and no operation runs.
//   - Operations run in request order, except that an operation referencing "bulkId:X"
//     first runs the POST that defines X if it has not run yet, so forward references
//     resolve (RFC 7644 §3.7.2). The BulkResponse lists operations in the order they ran.
//     References are exact string values "bulkId:X" anywhere in data (member values,
//     manager.value, …), quoted "bulkId:X" inside a string (a PATCH path filter such as
//     members[value eq "bulkId:X"]), and the id of a path (/Groups/bulkId:X).
//   - A reference to a bulkId no POST of the request defines fails that operation with 400
//     invalidValue; a reference to a POST that failed fails it with 409; a circular
//     reference (X's data refers, directly or not, to X) is not untangled: the operation
//     that closes the circle fails with 409, and so do those depending on it.
//   - failOnErrors N stops processing at the N-th failed operation; the answer lists the
//     operations that ran. The answer is 200 whenever the envelope was valid.
//   - "version" is the operation's If-Match (412 on mismatch, as for a single request).
//   - A successful operation is answered with method, bulkId, location, version and
//     status (no response body: the RFC makes it optional and IdPs do not read it); a
//     failed one with the SCIM error in "response".
//   - Limits: at most scimBulkMaxOperations operations (413 tooMany) and the server's body
//     limit (413); both are advertised in /ServiceProviderConfig.

const (
	urnBulkRequest  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	urnBulkResponse = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

	// scimBulkMaxOperations bounds the operations of one Bulk request (bulk.maxOperations).
	// 1,000 typical users fit the default 1 MiB body limit.
	scimBulkMaxOperations = 1000

	bulkRefPrefix = "bulkId:"
)

// bulkOp is one validated operation of a BulkRequest.
type bulkOp struct {
	method  string // POST, PUT, PATCH or DELETE
	kind    scimKind
	id      string // the path's id, "" for POST; may be "bulkId:X"
	bulkID  string
	version string
	data    map[string]any // nil for DELETE
	refs    []string       // bulkIds referenced by the path and data, sorted, each once
}

// bulkRequest is a validated BulkRequest.
type bulkRequest struct {
	failOnErrors int // 0: process every operation
	ops          []bulkOp
}

// bulkResult is one operation of the BulkResponse; status is a string, as RFC 7644 §3.7.3
// shows it.
type bulkResult struct {
	Method   string      `json:"method"`
	BulkID   string      `json:"bulkId,omitempty"`
	Version  string      `json:"version,omitempty"`
	Location string      `json:"location,omitempty"`
	Status   string      `json:"status"`
	Response *scim.Error `json:"response,omitempty"`
}

type bulkResponse struct {
	Schemas    []string     `json:"schemas"`
	Operations []bulkResult `json:"Operations"`
}

// bulkMember returns the value of m's member named name in any case, as PatchOp decoding
// accepts ("Operations", "operations").
func bulkMember(m map[string]any, name string) (any, bool) {
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// decodeBulk validates a BulkRequest body (see the semantics at the top of this file).
func decodeBulk(b []byte) (*bulkRequest, error) {
	msg, err := decodeSCIMObject(b)
	if err != nil {
		return nil, err
	}
	schemas, _ := bulkMember(msg, "schemas")
	list, _ := schemas.([]any)
	if !slices.ContainsFunc(list, func(v any) bool { s, _ := v.(string); return strings.EqualFold(s, urnBulkRequest) }) {
		return nil, scim.ErrInvalidSyntax(`a Bulk request needs "schemas": [%q]`, urnBulkRequest)
	}
	req := &bulkRequest{}
	if v, ok := bulkMember(msg, "failOnErrors"); ok && v != nil {
		n, isNum := v.(json.Number)
		i, err := n.Int64()
		if !isNum || err != nil || i < 1 {
			return nil, scim.ErrInvalidValue("failOnErrors must be a positive integer (the number of failed operations after which to stop); leave it out to run every operation")
		}
		req.failOnErrors = int(min(i, scimBulkMaxOperations+1))
	}
	opsRaw, _ := bulkMember(msg, "Operations")
	ops, ok := opsRaw.([]any)
	if !ok {
		return nil, scim.ErrInvalidSyntax(`a Bulk request needs "Operations": an array of operations with method, path, bulkId and data`)
	}
	if len(ops) == 0 {
		return nil, scim.ErrInvalidSyntax(`"Operations" is empty; send at least one operation`)
	}
	if len(ops) > scimBulkMaxOperations {
		return nil, &scim.Error{Status: http.StatusRequestEntityTooLarge, ScimType: scim.ScimTypeTooMany,
			Detail: fmt.Sprintf("the Bulk request has %d operations; at most %d are allowed (maxOperations in /ServiceProviderConfig): split it", len(ops), scimBulkMaxOperations)}
	}
	seen := map[string]int{}
	req.ops = make([]bulkOp, len(ops))
	for i, raw := range ops {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, scim.ErrInvalidSyntax("Operations[%d] must be an object with method, path, bulkId and data", i)
		}
		op, err := decodeBulkOp(m)
		if err != nil {
			return nil, scim.ErrInvalidSyntax("Operations[%d]: %s", i, err)
		}
		if op.bulkID != "" {
			if j, dup := seen[op.bulkID]; dup {
				return nil, scim.ErrInvalidSyntax("Operations[%d]: bulkId %q is already used by Operations[%d]; bulkIds must be unique within a request", i, op.bulkID, j)
			}
			seen[op.bulkID] = i
		}
		req.ops[i] = op
	}
	return req, nil
}

// decodeBulkOp validates one operation; its error is a plain message that decodeBulk
// prefixes with the operation's index.
func decodeBulkOp(m map[string]any) (bulkOp, error) {
	var op bulkOp
	str := func(name string) (string, error) {
		v, ok := bulkMember(m, name)
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("%q must be a string", name)
		}
		return strings.TrimSpace(s), nil
	}
	method, err := str("method")
	if err != nil {
		return op, err
	}
	path, err := str("path")
	if err != nil {
		return op, err
	}
	if op.bulkID, err = str("bulkId"); err != nil {
		return op, err
	}
	if op.version, err = str("version"); err != nil {
		return op, err
	}
	op.method = strings.ToUpper(method)
	switch op.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	case "":
		return op, fmt.Errorf(`"method" is missing (POST, PUT, PATCH or DELETE)`)
	default:
		return op, fmt.Errorf("method %q is not POST, PUT, PATCH or DELETE", method)
	}
	if path == "" {
		return op, fmt.Errorf(`"path" is missing (/Users, /Groups, /Users/{id} or /Groups/{id})`)
	}
	var known bool
	op.kind, op.id, known = parseBulkPath(path)
	switch {
	case !known:
		return op, fmt.Errorf("path %q is not /Users, /Groups, /Users/{id} or /Groups/{id}", path)
	case op.method == http.MethodPost && op.id != "":
		return op, fmt.Errorf("POST creates a resource: its path is /Users or /Groups, not %q", path)
	case op.method != http.MethodPost && op.id == "":
		return op, fmt.Errorf("%s needs the path of one resource (/Users/{id} or /Groups/{id}), not %q", op.method, path)
	case op.method == http.MethodPost && op.bulkID == "":
		return op, fmt.Errorf(`POST needs a "bulkId" (RFC 7644 §3.7)`)
	}
	if op.method != http.MethodDelete {
		d, _ := bulkMember(m, "data")
		if op.data, _ = d.(map[string]any); op.data == nil {
			return op, fmt.Errorf(`%s needs "data": the resource (or PatchOp message) as it would be sent alone`, op.method)
		}
	}
	refs := map[string]bool{}
	if ref, ok := strings.CutPrefix(op.id, bulkRefPrefix); ok {
		if ref == "" {
			return op, fmt.Errorf("path %q names %q with no bulkId after it", path, bulkRefPrefix)
		}
		refs[ref] = true
	}
	collectBulkRefs(op.data, refs)
	for r := range refs {
		op.refs = append(op.refs, r)
	}
	slices.Sort(op.refs)
	return op, nil
}

// parseBulkPath reads an operation's path: /Users, /Groups, /Users/{id} or /Groups/{id},
// the endpoint in any case, leading and trailing slashes optional.
func parseBulkPath(p string) (scimKind, string, bool) {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	if len(segs) > 2 || (len(segs) == 2 && (segs[1] == "" || strings.EqualFold(segs[1], ".search"))) {
		return 0, "", false
	}
	id := ""
	if len(segs) == 2 {
		id = segs[1]
	}
	switch scimEndpoints[strings.ToLower(segs[0])] {
	case epUsers:
		return scimUsers, id, true
	case epGroups:
		return scimGroups, id, true
	}
	return 0, "", false
}

// bulkRefString finds the bulkId references of one string value, the whole value
// "bulkId:X" or quoted "bulkId:X" inside it, and returns it with each reference replaced by
// what to(X) returns (a reference to() does not know, ok false, is kept as is). Collecting
// and resolving share this scanner, so they always agree on what a reference is.
func bulkRefString(s string, to func(ref string) (string, bool)) string {
	if ref, ok := strings.CutPrefix(s, bulkRefPrefix); ok {
		if id, ok := to(ref); ok && ref != "" {
			return id
		}
		return s
	}
	if !strings.Contains(s, `"`+bulkRefPrefix) {
		return s
	}
	var out strings.Builder
	rest := s
	for {
		i := strings.Index(rest, `"`+bulkRefPrefix)
		if i < 0 {
			break
		}
		tail := rest[i+1+len(bulkRefPrefix):]
		j := strings.IndexByte(tail, '"')
		if j < 0 {
			break
		}
		out.WriteString(rest[:i+1])
		if id, ok := to(tail[:j]); ok && j > 0 {
			out.WriteString(id)
		} else {
			out.WriteString(bulkRefPrefix + tail[:j])
		}
		out.WriteByte('"')
		rest = tail[j+1:]
	}
	out.WriteString(rest)
	return out.String()
}

// collectBulkRefs adds the bulkIds referenced anywhere in v to refs.
func collectBulkRefs(v any, refs map[string]bool) {
	switch t := v.(type) {
	case string:
		bulkRefString(t, func(ref string) (string, bool) {
			if ref != "" {
				refs[ref] = true
			}
			return "", false
		})
	case map[string]any:
		for _, x := range t {
			collectBulkRefs(x, refs)
		}
	case []any:
		for _, x := range t {
			collectBulkRefs(x, refs)
		}
	}
}

// resolveBulkRefs returns a copy of v with every bulkId reference replaced by the id of the
// resource its POST created. Every reference is resolved when this runs (see bulkRun.run).
func resolveBulkRefs(v any, ids map[string]string) any {
	switch t := v.(type) {
	case string:
		return bulkRefString(t, func(ref string) (string, bool) { id, ok := ids[ref]; return id, ok })
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = resolveBulkRefs(x, ids)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = resolveBulkRefs(x, ids)
		}
		return out
	}
	return v
}

// opState tracks an operation through bulkRun.
type opState uint8

const (
	opPending opState = iota
	opRunning         // its references are being resolved: meeting it again is a circle
	opDone
)

// bulkRun is the processing of one validated BulkRequest.
type bulkRun struct {
	s       *API
	r       *http.Request
	req     *bulkRequest
	ctxs    map[scimKind]scimCtx
	state   []opState
	definer map[string]int         // bulkId → index of the POST defining it
	created map[string]string      // bulkId → id of the resource its POST created
	failed  map[string]*scim.Error // bulkId → why its POST failed
	errors  int
	stopped bool
	results []bulkResult
}

// scimBulk answers POST /Bulk: the request is validated whole, then its operations run one
// by one (see the top of this file) and the BulkResponse lists what each did.
func (s *API) scimBulk(w http.ResponseWriter, r *http.Request) {
	b, err := readSCIMBody(r)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	req, err := decodeBulk(b)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	run := &bulkRun{s: s, r: r, req: req, ctxs: map[scimKind]scimCtx{},
		state: make([]opState, len(req.ops)), definer: map[string]int{},
		created: map[string]string{}, failed: map[string]*scim.Error{}, results: make([]bulkResult, 0, len(req.ops))}
	// The answers of a Bulk operation carry no resource, so the writes need not read
	// member lists or a user's groups to render one.
	for kind, skip := range map[scimKind]string{scimUsers: "groups", scimGroups: "members"} {
		proj, err := scim.ParseProjection(kind.rt(), "", skip)
		if err != nil {
			s.scimFail(w, r, err)
			return
		}
		run.ctxs[kind] = scimCtx{org: auth.PrincipalFrom(r.Context()).OrgID, base: s.baseURL(r), proj: proj}
	}
	for i, op := range req.ops {
		if op.method == http.MethodPost {
			run.definer[op.bulkID] = i
		}
	}
	for i := range req.ops {
		if run.stopped || r.Context().Err() != nil {
			break
		}
		run.run(i)
	}
	writeSCIM(w, http.StatusOK, bulkResponse{Schemas: []string{urnBulkResponse}, Operations: run.results})
}

// run processes operation i unless it already ran, after the POSTs it references.
func (b *bulkRun) run(i int) {
	if b.state[i] != opPending {
		return
	}
	b.state[i] = opRunning
	op := &b.req.ops[i]
	for _, ref := range op.refs {
		d, ok := b.definer[ref]
		if !ok {
			b.finish(i, scim.ErrInvalidValue("bulkId %q is not defined by any POST operation of this request", ref))
			return
		}
		if b.state[d] == opRunning {
			b.finish(i, scim.ErrStatus(http.StatusConflict, "circular bulkId reference: bulkId %q depends, directly or through other operations, on this operation; create the resources first and link them in a later operation or request", ref))
			return
		}
		b.run(d)
		if b.stopped {
			return
		}
		if e := b.failed[ref]; e != nil {
			b.finish(i, scim.ErrStatus(http.StatusConflict, "bulkId %q was not created: its operation failed with %d (%s)", ref, e.Status, e.Detail))
			return
		}
	}
	b.finish(i, nil)
}

// finish runs operation i unless refused (a reference failed), records its result, and
// stops the run at the failOnErrors-th failure.
func (b *bulkRun) finish(i int, refused *scim.Error) {
	op := &b.req.ops[i]
	b.state[i] = opDone
	res := bulkResult{Method: op.method, BulkID: op.bulkID}
	status, e := 0, refused
	if e == nil {
		var w service.Written
		var err error
		w, status, err = b.exec(op)
		if err != nil {
			e = b.s.scimError(b.r, err)
		} else {
			res.Location = scimLocation(b.ctxs[op.kind].base, op.kind.endpoint(), w.ID)
			if op.method != http.MethodDelete {
				res.Version = scim.ETag(w.Version)
			}
			if op.bulkID != "" && op.method == http.MethodPost {
				b.created[op.bulkID] = w.ID
			}
		}
	}
	if e != nil {
		status = e.Status
		res.Response = e
		if id := b.resolvedID(op); id != "" {
			res.Location = scimLocation(b.ctxs[op.kind].base, op.kind.endpoint(), id)
		}
		if op.method == http.MethodPost {
			b.failed[op.bulkID] = e
		}
		b.errors++
		if b.req.failOnErrors > 0 && b.errors >= b.req.failOnErrors {
			b.stopped = true
		}
	}
	res.Status = strconv.Itoa(status)
	b.results = append(b.results, res)
}

// resolvedID is the id an operation's path names, with a bulkId resolved ("" when it
// names none or the bulkId was not created).
func (b *bulkRun) resolvedID(op *bulkOp) string {
	if ref, ok := strings.CutPrefix(op.id, bulkRefPrefix); ok {
		return b.created[ref]
	}
	return op.id
}

// exec runs one operation through the same code as the single-resource handlers and
// returns what it wrote and the status the single request would have been answered with.
func (b *bulkRun) exec(op *bulkOp) (service.Written, int, error) {
	ctx, c := b.r.Context(), b.ctxs[op.kind]
	o := writeOpts{ifMatch: op.version}
	id := b.resolvedID(op)
	var data map[string]any
	if op.data != nil {
		data, _ = resolveBulkRefs(op.data, b.created).(map[string]any)
	}
	ops := b.s.writeOps(op.kind)
	switch op.method {
	case http.MethodPost, http.MethodPut:
		ndoc, err := scim.Normalize(op.kind.rt(), data)
		if err != nil {
			return service.Written{}, 0, err
		}
		if op.method == http.MethodPost {
			w, err := ops.create(ctx, c, ndoc)
			return w, http.StatusCreated, err
		}
		w, err := ops.replace(ctx, c, o, id, ndoc)
		return w, http.StatusOK, err
	case http.MethodPatch:
		raw, err := json.Marshal(data)
		if err != nil {
			return service.Written{}, 0, err
		}
		req, err := scim.DecodePatch(raw)
		if err != nil {
			return service.Written{}, 0, err
		}
		w, err := ops.patch(ctx, c, o, id, req)
		if b.s.cfg.PatchNoContent || (op.kind == scimGroups && b.s.groupPatchStatus(o) == http.StatusNoContent) {
			return w, http.StatusNoContent, err
		}
		return w, http.StatusOK, err
	}
	return service.Written{ID: id}, http.StatusNoContent, ops.del(ctx, c, o, id)
}
