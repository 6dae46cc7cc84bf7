package scimload

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
)

// provision: POST /Users, Entra and Okta bodies alternating, each userName new.
func (r *runner) provision(ctx context.Context) (*Result, error) {
	p := r.measured()
	p.tasks = r.cfg.N // users 0…N-1 exactly, so that -reuse can find the whole population later
	p.run(ctx, r.cfg.Concurrency, r.cfg.Seed, func(ctx context.Context, w *worker, t int) error {
		var id string
		return createUser(ctx, w, userName(r.cfg.Prefix, t), t, &id)
	})
	return r.result(p), nil
}

// lookup: GET /Users?filter=userName eq "…" on random users of the population, as both IdPs
// do before every write. With known ids (users created by this run) the id must match too.
func (r *runner) lookup(ctx context.Context) (*Result, error) {
	pl, err := r.users(ctx, r.cfg.Setup, false)
	if err != nil {
		return nil, err
	}
	if pl.size == 0 {
		return nil, fmt.Errorf("lookup needs a population: -setup must be > 0")
	}
	p := r.measured()
	p.run(ctx, r.cfg.Concurrency, r.cfg.Seed, func(ctx context.Context, w *worker, t int) error {
		i := w.rng.IntN(pl.size)
		name := userName(pl.prefix, i)
		var want string
		if pl.ids != nil {
			want = pl.ids[i]
		}
		_, err := w.exec(ctx, kLookup, "GET", "/Users"+filterQuery("userName", name, ""), nil, func(st int, b []byte) error {
			_, err := checkFound(st, b, "userName", name, want)
			return err
		})
		return err
	})
	res := r.result(p)
	res.Population = pl.size
	return res, nil
}

// deactivate: Entra's PATCH Replace active=false on each user of the population in turn.
func (r *runner) deactivate(ctx context.Context) (*Result, error) {
	pl, err := r.users(ctx, r.cfg.Setup, true)
	if err != nil {
		return nil, err
	}
	if pl.size == 0 {
		return nil, fmt.Errorf("deactivate needs a population: -setup must be > 0")
	}
	body := patchDeactivate()
	inactive := false
	p := r.measured()
	p.run(ctx, r.cfg.Concurrency, r.cfg.Seed, func(ctx context.Context, w *worker, t int) error {
		id := pl.ids[t%pl.size]
		_, err := w.exec(ctx, kDeactivate, "PATCH", "/Users/"+id, body, func(st int, b []byte) error {
			return checkPatched(st, b, id, &inactive)
		})
		return err
	})
	res := r.result(p)
	res.Population = pl.size
	return res, nil
}

// walk is one worker's position in an Okta-style walk over all users.
type walk struct{ start, seen, total int }

// pageWalk: Okta's import walk, GET /Users?startIndex=s&count=100 from 1 until past
// totalResults, over and over. Each page is one operation; a finished walk must have seen
// exactly totalResults users, and totalResults must cover the population and not change.
func (r *runner) pageWalk(ctx context.Context) (*Result, error) {
	pl, err := r.users(ctx, r.cfg.Setup, false)
	if err != nil {
		return nil, err
	}
	count := r.cfg.Count
	var walks atomic.Int64
	p := r.measured()
	p.run(ctx, r.cfg.Concurrency, r.cfg.Seed, func(ctx context.Context, w *worker, t int) error {
		st, _ := w.state.(*walk)
		if st == nil {
			st = &walk{start: 1}
			w.state = st
		}
		done := false
		path := "/Users?startIndex=" + strconv.Itoa(st.start) + "&count=" + strconv.Itoa(count)
		_, err := w.exec(ctx, kPage, "GET", path, nil, func(code int, b []byte) error {
			total, n, err := checkPage(code, b, st.start, count)
			if err != nil {
				return err
			}
			if st.start == 1 {
				st.total = total
				if total < pl.size {
					return fmt.Errorf("totalResults %d is below the %d users of the population", total, pl.size)
				}
			} else if total != st.total {
				return fmt.Errorf("totalResults changed from %d to %d during a walk", st.total, total)
			}
			st.seen += n
			st.start += n
			if st.start > st.total || n == 0 {
				done = true
				if st.seen != st.total {
					return fmt.Errorf("walk saw %d users, totalResults %d", st.seen, st.total)
				}
			}
			return nil
		})
		if done && err == nil {
			walks.Add(1)
		}
		if done || err != nil {
			*st = walk{start: 1}
		}
		return err
	})
	res := r.result(p)
	res.Population = pl.size
	r.logf("pagewalk: %d complete walks", walks.Load())
	return res, nil
}
