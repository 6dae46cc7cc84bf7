package scimload

import (
	"context"
	"fmt"
	"time"
)

// window returns n ids of the pool starting at start, wrapping around.
func window(ids []string, start, n int) []string {
	out := make([]string, n)
	for k := range out {
		out[k] = ids[(start+k)%len(ids)]
	}
	return out
}

// groups: each task creates one group and then sends Batches PATCHes that each add Batch
// members (a value array), Entra's form for even groups and Okta's for odd ones.
func (r *runner) groups(ctx context.Context) (*Result, error) {
	c := r.cfg
	pl, err := r.users(ctx, c.Setup, true)
	if err != nil {
		return nil, err
	}
	p := r.measured()
	p.run(ctx, c.Concurrency, c.Seed, func(ctx context.Context, w *worker, t int) error {
		// A group is created and filled whole or not at all, so every group ends the same size.
		if err := w.reserve(1 + c.Batches); err != nil {
			return err
		}
		gid, err := createGroup(ctx, w, groupName(c.Prefix, t), t)
		if err != nil {
			return err
		}
		style := memberStyle(t % 2)
		for b := range c.Batches {
			ids := window(pl.ids, (t*c.Batches+b)*c.Batch, c.Batch)
			if err := patchGroup(ctx, w, kAddMembers, gid, true, ids, style); err != nil {
				return err
			}
		}
		return nil
	})
	res := r.result(p)
	res.Population = pl.size
	return res, nil
}

// sparePerWorker is how many users each biggroup worker adds and removes in turn: its own, so
// that no two workers ever race on the same membership.
const sparePerWorker = 8

// bigGroup grows one group to Members members (setup), times one PATCH that adds Bulk more
// members and one that removes them again, then measures single-member add/remove PATCHes
// against the big group, and finally checks membership with Entra's filter query.
func (r *runner) bigGroup(ctx context.Context) (*Result, error) {
	c := r.cfg
	spare := sparePerWorker * c.Concurrency
	pl, err := r.users(ctx, c.Members+c.Bulk+spare, true)
	if err != nil {
		return nil, err
	}
	members, bulk, spares := pl.ids[:c.Members], pl.ids[c.Members:c.Members+c.Bulk], pl.ids[c.Members+c.Bulk:]

	var gid string
	err = r.runSetup(ctx, "create the big group", 1, 1, func(ctx context.Context, w *worker, t int) error {
		var err error
		gid, err = createGroup(ctx, w, groupName(c.Prefix, 0), 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	batches := (c.Members + c.Batch - 1) / c.Batch
	err = r.runSetup(ctx, fmt.Sprintf("grow the group to %d members", c.Members), batches, c.Concurrency,
		func(ctx context.Context, w *worker, t int) error {
			ids := members[t*c.Batch : min((t+1)*c.Batch, c.Members)]
			return patchGroup(ctx, w, kAddMembers, gid, true, ids, styleEntra)
		})
	if err != nil {
		return nil, err
	}

	// The bulk PATCHes are single requests: each is its own phase of one.
	single := func(k kind, add bool) (*float64, int64) {
		if len(bulk) == 0 {
			return nil, 0
		}
		p := &phase{name: kindNames[k], cl: r.cl, budget: 1, errs: r.errs}
		p.run(ctx, 1, c.Seed, func(ctx context.Context, w *worker, t int) error {
			return patchGroup(ctx, w, k, gid, add, bulk, styleEntra)
		})
		h, nerr := p.totals(k)
		v := ms(h.Max())
		return &v, nerr
	}
	r.logf("timing one PATCH adding %d members", len(bulk))
	bulkAdd, errAdd := single(kBulkAdd, true)
	r.logf("timing one PATCH removing %d members", len(bulk))
	bulkRemove, errRemove := single(kBulkRemove, false)

	p := r.measured()
	p.run(ctx, c.Concurrency, c.Seed, func(ctx context.Context, w *worker, t int) error {
		if err := w.reserve(2); err != nil {
			return err
		}
		j, _ := w.state.(int)
		w.state = j + 1
		uid := spares[w.id*sparePerWorker+j%sparePerWorker]
		style := memberStyle(j % 2)
		if err := patchGroup(ctx, w, kAddMember, gid, true, []string{uid}, style); err != nil {
			return err
		}
		return patchGroup(ctx, w, kRemoveMember, gid, false, []string{uid}, style)
	})
	res := r.result(p, kAddMember, kRemoveMember)
	res.Errors += errAdd + errRemove
	res.BulkAddMs, res.BulkRemoveMs = bulkAdd, bulkRemove
	res.BulkSize, res.GroupSize, res.Population = len(bulk), c.Members, pl.size

	// What must hold now: the grown members are in, the bulk and the spares are out.
	var checks []membershipCheck
	if len(members) > 0 {
		checks = append(checks, membershipCheck{members[0], true}, membershipCheck{members[len(members)-1], true})
	}
	if len(bulk) > 0 {
		checks = append(checks, membershipCheck{bulk[0], false})
	}
	checks = append(checks, membershipCheck{spares[0], false})
	res.VerifyErrors = r.verifyMembers(ctx, gid, checks)
	return res, nil
}

type membershipCheck struct {
	uid    string
	member bool
}

// verifyMembers asks, as Entra does before changing a membership,
// GET /Groups?filter=id eq "G" and members[value eq "U"]&excludedAttributes=members,
// and counts the answers that contradict what the run did.
func (r *runner) verifyMembers(ctx context.Context, gid string, checks []membershipCheck) int64 {
	p := &phase{name: "verify", cl: r.cl, budget: int64(len(checks)), errs: r.errs, deadline: time.Now().Add(time.Minute)}
	p.run(ctx, 1, r.cfg.Seed, func(ctx context.Context, w *worker, t int) error {
		if t >= len(checks) {
			return errStop
		}
		ck := checks[t]
		path := "/Groups" + membershipQuery(gid, ck.uid)
		_, err := w.exec(ctx, kVerify, "GET", path, nil, func(st int, b []byte) error {
			l, err := decodeList(st, b)
			if err != nil {
				return err
			}
			want := map[bool]int{true: 1, false: 0}[ck.member]
			if *l.TotalResults != want {
				return fmt.Errorf("membership of %s in %s: totalResults %d, want %d", ck.uid, gid, *l.TotalResults, want)
			}
			return nil
		})
		return err
	})
	_, nerr := p.totals(kVerify)
	return nerr
}
