package decision

import "unsafe"

// SizeBytes estimates the heap the index holds: its records, lists and maps, counting the
// strings it refers to as its own (they are shared with the State it was built from, which
// its owner normally discards). It is an estimate for a memory cap over many organizations'
// indexes (evict the least recently used when the sum exceeds the cap), within a few tens
// of percent of what the runtime reports, not an exact account. It takes the read lock and
// costs a pass over the records.
func (ix *Index) SizeBytes() int64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	const (
		mapEntry = 48 // per entry of a map[string]int32, buckets and overhead included
		i32      = 4
	)
	n := int64(cap(ix.users))*int64(unsafe.Sizeof(userRec{})) +
		int64(cap(ix.groups))*int64(unsafe.Sizeof(groupRec{})) +
		int64(cap(ix.accounts))*int64(unsafe.Sizeof(accountRec{})) +
		int64(cap(ix.res))*int64(unsafe.Sizeof(resourceRec{})) +
		int64(cap(ix.binds))*int64(unsafe.Sizeof(bindingRec{}))
	n += mapEntry * int64(len(ix.userByID)+len(ix.userByName)+len(ix.groupByID)+len(ix.acctByID)+
		len(ix.acctByName)+len(ix.resByID)+len(ix.bindByID))
	for i := range ix.users {
		u := &ix.users[i]
		n += int64(len(u.id)+len(u.name)) + i32*int64(cap(u.groups)) + int64(cap(u.grants))*int64(unsafe.Sizeof(grant{}))
		if u.folded != u.name {
			n += int64(len(u.folded))
		}
		if c := u.closure.Load(); c != nil {
			n += 24 + i32*int64(cap(*c))
		}
	}
	for i := range ix.groups {
		g := &ix.groups[i]
		n += int64(len(g.id)+len(g.name)) + i32*int64(cap(g.parents)+cap(g.users)+cap(g.children)) +
			int64(cap(g.grants))*int64(unsafe.Sizeof(grant{}))
	}
	for i := range ix.accounts {
		a := &ix.accounts[i]
		n += int64(len(a.id)+len(a.name)+len(a.folded)) + int64(cap(a.grants))*int64(unsafe.Sizeof(grant{}))
	}
	for i := range ix.res {
		r := &ix.res[i]
		n += int64(len(r.id)+len(r.name)+len(r.folded)+len(r.parent)) + i32*int64(cap(r.bindings)) +
			int64(cap(r.groupGrants))*int64(unsafe.Sizeof(groupGrant{}))
	}
	for i := range ix.binds {
		n += int64(len(ix.binds[i].id))
	}
	return n
}
