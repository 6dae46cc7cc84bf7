package scimload

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// runner holds what one Run shares between its phases.
type runner struct {
	cfg      Config
	cl       *client
	errs     *errorLog
	setup    time.Duration
	setupOps int64
}

// Run executes one workload against cfg.BaseURL and returns what it measured. An error means
// the run could not be carried out (bad configuration, or setup requests that failed); errors
// of measured requests are counted in the Result instead.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	base := cfg.BaseURL
	if isAuthZEN(cfg.Workload) {
		base = strings.TrimRight(base, "/") + cfg.PathPrefix
	}
	cl, err := newClient(base, cfg.Token, cfg.Concurrency, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	if isAuthZEN(cfg.Workload) {
		cl.media = "application/json"
	}
	defer cl.close()
	r := &runner{cfg: cfg, cl: cl, errs: &errorLog{max: cfg.MaxErrorDetails}}
	var res *Result
	switch cfg.Workload {
	case "provision":
		res, err = r.provision(ctx)
	case "lookup":
		res, err = r.lookup(ctx)
	case "deactivate":
		res, err = r.deactivate(ctx)
	case "groups":
		res, err = r.groups(ctx)
	case "biggroup":
		res, err = r.bigGroup(ctx)
	case "pagewalk":
		res, err = r.pageWalk(ctx)
	case "mixed":
		res, err = r.mixed(ctx)
	case "authz-eval", "authz-batch", "authz-search":
		res, err = r.authzen(ctx)
	}
	if err != nil {
		return nil, err
	}
	res.SetupS = r.setup.Seconds()
	res.SetupOps = r.setupOps
	res.ErrorDetails = r.errs.list()
	return res, nil
}

// logf reports progress on the configured log (stderr for the command).
func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.cfg.Log, "scimload: "+format+"\n", args...)
}

// measured returns a phase for the measured part of a workload: N requests or Duration.
func (r *runner) measured() *phase {
	p := &phase{name: r.cfg.Workload, cl: r.cl, budget: int64(r.cfg.N), errs: r.errs}
	if r.cfg.Duration > 0 {
		p.deadline = time.Now().Add(r.cfg.Duration)
	}
	return p
}

// runSetup runs one setup phase of exactly n requests (n tasks of one request each unless the
// task says otherwise) and fails when any of them failed: measuring on top of a population that
// is not what the workload thinks it is would produce meaningless figures.
func (r *runner) runSetup(ctx context.Context, what string, n, workers int, task func(ctx context.Context, w *worker, t int) error) error {
	if n == 0 {
		return nil
	}
	errs := &errorLog{max: 3}
	p := &phase{name: what, cl: r.cl, budget: int64(n), tasks: n, errs: errs}
	r.logf("setup: %s (%d requests)", what, n)
	p.run(ctx, min(workers, n), r.cfg.Seed+7, task)
	r.setup += p.elapsed
	h, nerr := p.totals()
	r.setupOps += h.Count()
	if err := ctx.Err(); err != nil {
		return err
	}
	if nerr > 0 {
		return fmt.Errorf("setup %s: %d of %d requests failed; first: %s", what, nerr, h.Count(), strings.Join(errs.list(), " | "))
	}
	if h.Count() < int64(n) {
		return fmt.Errorf("setup %s: only %d of %d requests ran", what, h.Count(), n)
	}
	return nil
}

// pool is a population of users: userName(prefix, i) for i < size, with their ids when known.
type pool struct {
	prefix string
	size   int
	ids    []string
}

// users creates the run's population through SCIM (or, with -reuse, takes the existing one,
// resolving ids by filter lookups when needIDs).
func (r *runner) users(ctx context.Context, size int, needIDs bool) (*pool, error) {
	c := r.cfg
	if c.Reuse != "" {
		p := &pool{prefix: c.Reuse, size: size}
		if !needIDs {
			return p, nil
		}
		p.ids = make([]string, size)
		err := r.runSetup(ctx, fmt.Sprintf("resolve ids of %d existing users", size), size, c.Concurrency,
			func(ctx context.Context, w *worker, t int) error {
				name := userName(p.prefix, t)
				_, err := w.exec(ctx, kLookup, "GET", "/Users"+filterQuery("userName", name, ""), nil, func(st int, b []byte) error {
					id, err := checkFound(st, b, "userName", name, "")
					p.ids[t] = id
					return err
				})
				return err
			})
		return p, err
	}
	p := &pool{prefix: c.Prefix, size: size, ids: make([]string, size)}
	err := r.runSetup(ctx, fmt.Sprintf("create %d users", size), size, c.Concurrency,
		func(ctx context.Context, w *worker, t int) error {
			return createUser(ctx, w, userName(p.prefix, t), t, &p.ids[t])
		})
	return p, err
}

// createUser POSTs user i named name and stores its id in *id.
func createUser(ctx context.Context, w *worker, name string, i int, id *string) error {
	_, err := w.exec(ctx, kCreateUser, "POST", "/Users", userBody(name, i), func(st int, b []byte) error {
		got, err := checkCreated(st, b, "userName", name)
		*id = got
		return err
	})
	return err
}

// createGroup POSTs group i named name and returns its id.
func createGroup(ctx context.Context, w *worker, name string, i int) (string, error) {
	var id string
	_, err := w.exec(ctx, kCreateGroup, "POST", "/Groups", groupBody(name, i), func(st int, b []byte) error {
		got, err := checkCreated(st, b, "displayName", name)
		id = got
		return err
	})
	return id, err
}

// patchGroup sends a membership PATCH to group gid and checks the answer.
func patchGroup(ctx context.Context, w *worker, k kind, gid string, add bool, ids []string, style memberStyle) error {
	_, err := w.exec(ctx, k, "PATCH", "/Groups/"+gid, patchMembers(add, ids, style), func(st int, b []byte) error {
		return checkPatched(st, b, gid, nil)
	})
	return err
}

// result builds the Result of a measured phase from the kinds that count as its operations.
func (r *runner) result(p *phase, kinds ...kind) *Result {
	h, nerr := p.totals(kinds...)
	res := &Result{
		Workload:    r.cfg.Workload,
		Ops:         h.Count(),
		Errors:      nerr,
		ElapsedS:    p.elapsed.Seconds(),
		P50:         ms(h.Quantile(0.50)),
		P95:         ms(h.Quantile(0.95)),
		P99:         ms(h.Quantile(0.99)),
		Max:         ms(h.Max()),
		Mean:        ms(h.Mean()),
		Concurrency: len(p.workers),
		Kinds:       map[string]KindStat{},
	}
	if p.elapsed > 0 {
		res.Throughput = float64(res.Ops-res.Errors) / p.elapsed.Seconds()
	}
	for _, k := range p.kindsUsed() {
		kh, ke := p.totals(k)
		res.Kinds[kindNames[k]] = KindStat{Ops: kh.Count(), Errors: ke, P50: ms(kh.Quantile(0.5)), P99: ms(kh.Quantile(0.99)), Max: ms(kh.Max())}
	}
	return res
}

// isStop reports whether err only says the phase is over.
func isStop(err error) bool { return errors.Is(err, errStop) }
