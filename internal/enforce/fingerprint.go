package enforce

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/access"
)

// fingerprintMagic starts the encoding; bump its version whenever the encoding changes so
// that a preview computed by an older binary never matches by accident.
const fingerprintMagic = "rolecall/enforce-groups/fingerprint/v3\x00"

// Fingerprint returns the hex SHA-256 of a canonical encoding of exactly the state a plan
// depends on: users (id, userName, active, removed, exempt), groups (id, displayName, active),
// memberships, service-account IDs, resources (id, kind, name, parent, public) and bindings
// (id, resource, principal, role). Every table is sorted before it is hashed, so the same state
// in any input order gives the same fingerprint, and every field that can alter the plan is
// hashed, so any such change gives a different one.
//
// To keep hashing cheap at a million memberships, references inside memberships and
// bindings are encoded as the referenced record's rank in its sorted table (whose IDs are
// hashed too), which is as canonical as the ID itself; references to IDs the State does not
// hold are encoded as strings in a table of their own.
func Fingerprint(ix *access.Index) string {
	s := ix.State()
	f := &fingerprinter{h: sha256.New(), buf: make([]byte, 0, 64<<10)}
	f.str(fingerprintMagic)

	userRank := rankUsers(f, s)
	groupRank := rankGroups(f, s)
	resRank := rankResources(f, s)
	accountRank := rankAccounts(f, s)

	var dangling []string
	keys := make([]uint64, 0, len(s.Memberships))
	for i := range s.Memberships {
		m := &s.Memberships[i]
		g, gok := ix.LookupGroup(m.GroupID)
		var member uint32
		ok := gok
		switch m.MemberType {
		case access.PrincipalUser:
			u, uok := ix.LookupUser(m.MemberID)
			ok = ok && uok
			if ok {
				member = userRank[u]
			}
		case access.PrincipalGroup:
			c, cok := ix.LookupGroup(m.MemberID)
			ok = ok && cok
			if ok {
				member = groupRank[c] | 1<<31
			}
		default:
			ok = false
		}
		if !ok {
			dangling = append(dangling, m.GroupID+"\x00"+m.MemberType.String()+"\x00"+m.MemberID)
			continue
		}
		keys = append(keys, uint64(groupRank[g])<<32|uint64(member))
	}
	slices.Sort(keys)
	f.tag('M', len(keys))
	for _, k := range keys {
		f.u64(k)
	}
	f.strings('m', dangling)

	// Sorting 500,000 bindings dominates the cost, so the key packs the fixed-width fields
	// into two integers and compares the ID only on a tie.
	type bkey struct {
		hi uint64 // resource rank, principal rank
		lo uint16 // principal type, role
		id string
	}
	dangling = dangling[:0]
	bkeys := make([]bkey, 0, len(s.Bindings))
	for i := range s.Bindings {
		b := &s.Bindings[i]
		r, ok := ix.LookupResource(b.ResourceID)
		prin, pok := principalRank(ix, b, userRank, groupRank, accountRank)
		if !ok || !pok {
			dangling = append(dangling, strings.Join([]string{b.ID, b.ResourceID, b.PrincipalType.String(), b.PrincipalID, b.Role.String()}, "\x00"))
			continue
		}
		bkeys = append(bkeys, bkey{hi: uint64(resRank[r])<<32 | uint64(prin), lo: uint16(b.PrincipalType)<<8 | uint16(b.Role), id: b.ID})
	}
	slices.SortFunc(bkeys, func(a, b bkey) int {
		if a.hi != b.hi {
			return cmp.Compare(a.hi, b.hi)
		}
		if a.lo != b.lo {
			return cmp.Compare(a.lo, b.lo)
		}
		return strings.Compare(a.id, b.id)
	})
	f.tag('B', len(bkeys))
	for i := range bkeys {
		k := &bkeys[i]
		f.u64(k.hi)
		f.byte(byte(k.lo >> 8))
		f.byte(byte(k.lo))
		f.str(k.id)
	}
	f.strings('b', dangling)
	return f.sum()
}

// principalRank resolves a binding's principal to its rank within its type's table.
func principalRank(ix *access.Index, b *access.Binding, users, groups, accounts []uint32) (uint32, bool) {
	switch b.PrincipalType {
	case access.PrincipalUser:
		if u, ok := ix.LookupUser(b.PrincipalID); ok {
			return users[u], true
		}
	case access.PrincipalGroup:
		if g, ok := ix.LookupGroup(b.PrincipalID); ok {
			return groups[g], true
		}
	case access.PrincipalServiceAccount:
		if a, ok := ix.LookupServiceAccount(b.PrincipalID); ok {
			return accounts[a], true
		}
	}
	return 0, false
}

// rankUsers hashes the users table sorted by (id, userName, active, removed, exempt) and returns,
// per State position, the rank of the user's ID among the distinct IDs.
func rankUsers(f *fingerprinter, s *access.State) []uint32 {
	order := positions(len(s.Users))
	slices.SortFunc(order, func(a, b int32) int {
		x, y := &s.Users[a], &s.Users[b]
		if x.ID != y.ID { // cmp.Or evaluates every argument: decide on the ID alone when we can
			return strings.Compare(x.ID, y.ID)
		}
		return cmp.Or(cmp.Compare(x.UserName, y.UserName),
			cmpBool(x.Active, y.Active), cmpBool(x.Removed, y.Removed), cmpBool(x.Exempt, y.Exempt))
	})
	f.tag('U', len(order))
	for _, i := range order {
		u := &s.Users[i]
		f.str(u.ID)
		f.str(u.UserName)
		f.byte(bit(u.Active) | bit(u.Removed)<<1 | bit(u.Exempt)<<2)
	}
	return ranks(order, func(i int32) string { return s.Users[i].ID })
}

func rankGroups(f *fingerprinter, s *access.State) []uint32 {
	order := positions(len(s.Groups))
	slices.SortFunc(order, func(a, b int32) int {
		x, y := &s.Groups[a], &s.Groups[b]
		return cmp.Or(cmp.Compare(x.ID, y.ID), cmp.Compare(x.DisplayName, y.DisplayName), cmpBool(x.Active, y.Active))
	})
	f.tag('G', len(order))
	for _, i := range order {
		g := &s.Groups[i]
		f.str(g.ID)
		f.str(g.DisplayName)
		f.byte(bit(g.Active))
	}
	return ranks(order, func(i int32) string { return s.Groups[i].ID })
}

func rankResources(f *fingerprinter, s *access.State) []uint32 {
	order := positions(len(s.Resources))
	slices.SortFunc(order, func(a, b int32) int {
		x, y := &s.Resources[a], &s.Resources[b]
		return cmp.Or(cmp.Compare(x.ID, y.ID), cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Name, y.Name),
			cmp.Compare(x.ParentID, y.ParentID), cmp.Compare(bit(x.Public), bit(y.Public)))
	})
	f.tag('R', len(order))
	for _, i := range order {
		r := &s.Resources[i]
		f.str(r.ID)
		f.byte(uint8(r.Kind))
		f.str(r.Name)
		f.str(r.ParentID)
		f.byte(bit(r.Public)) // v3: a project's visibility decides what its cloud's roles reach
	}
	return ranks(order, func(i int32) string { return s.Resources[i].ID })
}

// rankAccounts hashes service-account IDs only: names never alter a plan.
func rankAccounts(f *fingerprinter, s *access.State) []uint32 {
	order := positions(len(s.ServiceAccounts))
	slices.SortFunc(order, func(a, b int32) int {
		return cmp.Compare(s.ServiceAccounts[a].ID, s.ServiceAccounts[b].ID)
	})
	f.tag('S', len(order))
	for _, i := range order {
		f.str(s.ServiceAccounts[i].ID)
	}
	return ranks(order, func(i int32) string { return s.ServiceAccounts[i].ID })
}

func positions(n int) []int32 {
	p := make([]int32, n)
	for i := range p {
		p[i] = int32(i)
	}
	return p
}

// ranks numbers the distinct IDs of a sorted order; duplicates of an ID share its rank, so
// the first-wins lookup of the Index resolves to the same rank whatever the input order.
func ranks(order []int32, id func(int32) string) []uint32 {
	out := make([]uint32, len(order))
	var rank uint32
	for k, i := range order {
		if k > 0 && id(i) != id(order[k-1]) {
			rank++
		}
		out[i] = rank
	}
	return out
}

func bit(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int { return cmp.Compare(bit(a), bit(b)) }

// fingerprinter feeds a prefix-free encoding to SHA-256 through a buffer.
type fingerprinter struct {
	h   hash.Hash
	buf []byte
}

func (f *fingerprinter) flush() {
	f.h.Write(f.buf)
	f.buf = f.buf[:0]
}

func (f *fingerprinter) room(n int) {
	if len(f.buf)+n > cap(f.buf) {
		f.flush()
	}
}

func (f *fingerprinter) byte(b byte) {
	f.room(1)
	f.buf = append(f.buf, b)
}

func (f *fingerprinter) u64(v uint64) {
	f.room(8)
	f.buf = binary.BigEndian.AppendUint64(f.buf, v)
}

func (f *fingerprinter) str(s string) {
	f.room(binary.MaxVarintLen64)
	f.buf = binary.AppendUvarint(f.buf, uint64(len(s)))
	if len(s) > cap(f.buf)-len(f.buf) {
		f.flush()
		if len(s) > cap(f.buf) {
			f.h.Write([]byte(s))
			return
		}
	}
	f.buf = append(f.buf, s...)
}

// tag starts a table: its letter and its row count.
func (f *fingerprinter) tag(t byte, n int) {
	f.byte(t)
	f.u64(uint64(n))
}

func (f *fingerprinter) strings(t byte, ss []string) {
	slices.Sort(ss)
	f.tag(t, len(ss))
	for _, s := range ss {
		f.str(s)
	}
}

func (f *fingerprinter) sum() string {
	f.flush()
	return hex.EncodeToString(f.h.Sum(nil))
}
