package hamming

import (
	"slices"
	"sync"
)

// exactMap maps values to ids and ids to values. Most values have one id,
// held inline in first; further ids of a value go to more.
type exactMap[K comparable] struct {
	mu    sync.RWMutex
	first map[K]uint64
	more  map[K][]uint64
	byID  map[uint64]K
}

func (m *exactMap[K]) add(id uint64, v K) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byID == nil {
		m.first = make(map[K]uint64)
		m.more = make(map[K][]uint64)
		m.byID = make(map[uint64]K)
	}
	if old, ok := m.byID[id]; ok {
		if old == v {
			return
		}
		m.unlinkLocked(id, old)
	}
	m.byID[id] = v
	if _, ok := m.first[v]; ok {
		m.more[v] = append(m.more[v], id)
	} else {
		m.first[v] = id
	}
}

func (m *exactMap[K]) remove(id uint64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.byID[id]
	if !ok {
		return false
	}
	m.unlinkLocked(id, v)
	delete(m.byID, id)
	return true
}

// unlinkLocked removes id from the ids of v.
func (m *exactMap[K]) unlinkLocked(id uint64, v K) {
	rest := m.more[v]
	if m.first[v] == id {
		if len(rest) == 0 {
			delete(m.first, v)
			return
		}
		m.first[v] = rest[len(rest)-1]
		rest = rest[:len(rest)-1]
	} else if i := slices.Index(rest, id); i >= 0 {
		rest = slices.Delete(rest, i, i+1)
	}
	if len(rest) == 0 {
		delete(m.more, v)
	} else {
		m.more[v] = rest
	}
}

func (m *exactMap[K]) lookup(v K) []uint64 {
	m.mu.RLock()
	id, ok := m.first[v]
	if !ok {
		m.mu.RUnlock()
		return nil
	}
	rest := m.more[v]
	out := make([]uint64, 1, 1+len(rest))
	out[0] = id
	out = append(out, rest...)
	m.mu.RUnlock()
	slices.Sort(out)
	return out
}

func (m *exactMap[K]) len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.byID)
}

// Exact128 maps 128-bit values (MD5 digests, as returned by md5.Sum) to
// ids. An id has at most one value; a value may have several ids. The zero
// value is an empty map ready to use. It is safe for concurrent use:
// lookups share a read lock and every critical section is a few map
// operations.
type Exact128 struct{ m exactMap[[16]byte] }

// NewExact128 returns an empty map.
func NewExact128() *Exact128 { return &Exact128{} }

// Add stores v under id, replacing the value id had, if any.
func (e *Exact128) Add(id uint64, v [16]byte) { e.m.add(id, v) }

// Remove deletes id and reports whether it was stored.
func (e *Exact128) Remove(id uint64) bool { return e.m.remove(id) }

// Lookup returns the ids stored with value v, ascending (nil if none).
func (e *Exact128) Lookup(v [16]byte) []uint64 { return e.m.lookup(v) }

// Len returns the number of stored ids.
func (e *Exact128) Len() int { return e.m.len() }

// Exact256 maps 256-bit values (SHA-256 digests, as returned by
// sha256.Sum256) to ids, with the same semantics as [Exact128].
type Exact256 struct{ m exactMap[[32]byte] }

// NewExact256 returns an empty map.
func NewExact256() *Exact256 { return &Exact256{} }

// Add stores v under id, replacing the value id had, if any.
func (e *Exact256) Add(id uint64, v [32]byte) { e.m.add(id, v) }

// Remove deletes id and reports whether it was stored.
func (e *Exact256) Remove(id uint64) bool { return e.m.remove(id) }

// Lookup returns the ids stored with value v, ascending (nil if none).
func (e *Exact256) Lookup(v [32]byte) []uint64 { return e.m.lookup(v) }

// Len returns the number of stored ids.
func (e *Exact256) Len() int { return e.m.len() }
