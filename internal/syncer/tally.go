package syncer

import (
	"hash/maphash"
	"sync"
)

// tally counts the distinct contacts a run keeps in the target and
// enforces maxContacts. It holds 64-bit hashes, not emails, so a run of a
// million contacts stays small.
type tally struct {
	mu   sync.Mutex
	seed maphash.Seed
	seen map[uint64]struct{}
	// created counts contacts created by this run.
	created int64
	// base is what the target held before an incremental run; a run from
	// the beginning counts from zero, existing contacts included.
	base      int64
	fromStart bool
	max       int64
}

func newTally(base int64, fromStart bool, max int64) *tally {
	return &tally{seed: maphash.MakeSeed(), seen: map[uint64]struct{}{}, base: base, fromStart: fromStart, max: max}
}

func (t *tally) inTarget() int64 {
	if t.fromStart {
		return int64(len(t.seen))
	}
	return t.base + t.created
}

// admit records that the run keeps email in the target. For a new contact
// it returns ok false when that would pass maxContacts. added says whether
// this call recorded it (it was not seen earlier in the run).
func (t *tally) admit(email string, isNew bool) (ok, added bool) {
	h := maphash.String(t.seed, email)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, dup := t.seen[h]; dup {
		return true, false
	}
	if isNew && t.max > 0 && t.inTarget() >= t.max {
		return false, false
	}
	t.seen[h] = struct{}{}
	if isNew {
		t.created++
	}
	return true, true
}

// forget undoes an admit that added email, for a write the target refused.
func (t *tally) forget(email string, isNew bool) {
	h := maphash.String(t.seed, email)
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.seen, h)
	if isNew {
		t.created--
	}
}

func (t *tally) counts() (seen, inTarget int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return int64(len(t.seen)), t.inTarget()
}
