package scimload

import (
	"context"
	"fmt"
	"strconv"
)

// mixedSchedule is the order of tasks in one round of the mixed workload (19 tasks, 20
// requests). It models an Entra ID incremental cycle on a steady-state tenant, where every
// write is preceded by a filter GET and most changes are attribute updates:
//
//	L  lookup of an existing user by userName            10 tasks  50% of requests
//	M  lookup of an absent userName (miss), then POST     1 task   5% + 5%
//	P  PATCH of user attributes (Replace title, displayName) 4     20%
//	G  lookup of a group by displayName, members excluded 2        10%
//	T  membership change: add a member, next time remove it  2     10%
//
// The proportions are a choice (Entra publishes no mix); they follow its documented order of
// calls — query, then create or update — with reads about two thirds of the traffic.
const mixedSchedule = "LPLGLTLPLMLPLGLTLPL"

// pendingMember is a membership a mixed worker added and will remove at its next T task.
type pendingMember struct{ gid, uid string }

// mixed runs mixedSchedule over a population of Setup users and Groups groups of 50 members.
func (r *runner) mixed(ctx context.Context) (*Result, error) {
	c := r.cfg
	pl, err := r.users(ctx, c.Setup, true)
	if err != nil {
		return nil, err
	}
	gids := make([]string, c.Groups)
	err = r.runSetup(ctx, fmt.Sprintf("create %d groups", c.Groups), c.Groups, c.Concurrency,
		func(ctx context.Context, w *worker, t int) error {
			var err error
			gids[t], err = createGroup(ctx, w, groupName(c.Prefix, t), t)
			return err
		})
	if err != nil {
		return nil, err
	}
	const seedMembers = 50
	err = r.runSetup(ctx, "add 50 members to each group", c.Groups, c.Concurrency,
		func(ctx context.Context, w *worker, t int) error {
			return patchGroup(ctx, w, kAddMembers, gids[t], true, window(pl.ids, t*seedMembers, min(seedMembers, pl.size)), styleEntra)
		})
	if err != nil {
		return nil, err
	}

	p := r.measured()
	p.run(ctx, c.Concurrency, c.Seed, func(ctx context.Context, w *worker, t int) error {
		switch mixedSchedule[t%len(mixedSchedule)] {
		case 'L':
			i := w.rng.IntN(pl.size)
			name, id := userName(pl.prefix, i), pl.ids[i]
			_, err := w.exec(ctx, kLookup, "GET", "/Users"+filterQuery("userName", name, ""), nil, func(st int, b []byte) error {
				_, err := checkFound(st, b, "userName", name, id)
				return err
			})
			return err
		case 'M':
			if err := w.reserve(2); err != nil {
				return err
			}
			name := userName(c.Prefix+"-new", t)
			_, err := w.exec(ctx, kLookupMiss, "GET", "/Users"+filterQuery("userName", name, ""), nil, func(st int, b []byte) error {
				return checkNotFound(st, b)
			})
			if err != nil {
				return err
			}
			var id string
			return createUser(ctx, w, name, t, &id)
		case 'P':
			i := w.rng.IntN(pl.size)
			id := pl.ids[i]
			body := patchUserAttrs(titles[t%len(titles)], "Updated "+strconv.Itoa(t))
			_, err := w.exec(ctx, kPatchUser, "PATCH", "/Users/"+id, body, func(st int, b []byte) error {
				return checkPatched(st, b, id, nil)
			})
			return err
		case 'G':
			g := w.rng.IntN(len(gids))
			name := groupName(c.Prefix, g)
			_, err := w.exec(ctx, kGroupLookup, "GET", "/Groups"+filterQuery("displayName", name, "excludedAttributes=members"), nil, func(st int, b []byte) error {
				_, err := checkFound(st, b, "displayName", name, gids[g])
				return err
			})
			return err
		default: // 'T'
			if pm, ok := w.state.(pendingMember); ok {
				w.state = nil
				return patchGroup(ctx, w, kRemoveMember, pm.gid, false, []string{pm.uid}, styleEntra)
			}
			// Users are split between workers (index ≡ worker id mod workers) so that no two
			// workers add and remove the same membership at once.
			n := len(w.ph.workers)
			i := w.id + n*w.rng.IntN(max(1, pl.size/n))
			pm := pendingMember{gid: gids[w.rng.IntN(len(gids))], uid: pl.ids[i%pl.size]}
			err := patchGroup(ctx, w, kAddMember, pm.gid, true, []string{pm.uid}, styleEntra)
			if err == nil {
				w.state = pm
			}
			return err
		}
	})
	res := r.result(p)
	res.Population = pl.size
	return res, nil
}
