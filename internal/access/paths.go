package access

import "slices"

// GroupPaths returns, for every group reachable from start (the groups a user is directly
// in) through parents, a shortest chain of groups from one in start to it, in the order
// the groups are first reached. It is breadth-first with start and each parent list sorted
// by compare, so the chain chosen among equally short ones is deterministic; each group is
// visited once, so cycles end. parents may filter (inactive groups are neither reached nor
// passed through); the slices given to it and start are not modified.
//
// access.Explain and the decision index both explain "via group X through Y" with it, so
// that their chains agree (a property test of package decision compares them).
func GroupPaths[G comparable](start []G, parents func(G) []G, compare func(a, b G) int) [][]G {
	type step struct {
		g    G
		prev int // position in order of the group g was reached from; -1 for start
	}
	seen := map[G]bool{}
	var order []step
	visit := func(gs []G, from int) {
		gs = slices.Clone(gs)
		slices.SortFunc(gs, compare)
		for _, g := range gs {
			if !seen[g] {
				seen[g] = true
				order = append(order, step{g, from})
			}
		}
	}
	visit(start, -1)
	for i := 0; i < len(order); i++ {
		visit(parents(order[i].g), i)
	}
	paths := make([][]G, len(order))
	for i := range order {
		var p []G
		for at := i; at >= 0; at = order[at].prev {
			p = append(p, order[at].g)
		}
		slices.Reverse(p)
		paths[i] = p
	}
	return paths
}
