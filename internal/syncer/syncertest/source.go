// Package syncertest holds in-memory fakes of a Source and a Target with
// real semantics (change feed with a watermark cursor, target statuses,
// compliance refusals, partial batch failures, 429 with Retry-After, 5xx,
// timeouts that lose the response after applying the write), for the
// engine's tests and the controllers' envtest suites.
package syncertest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"

	"github.com/contactsync/contactsync/connectors"
)

// Source is an in-memory change feed: every Put appends contact versions to
// a log, and the cursor is the offset in the log reached so far (a
// watermark). Like a real "changed since" query, Changes returns each
// contact changed after the cursor once, in its current version, at the
// position of its latest change. A Source built by NewGenerated computes
// its log on the fly, so a million-contact stream costs no memory.
type Source struct {
	mu       sync.Mutex
	log      []connectors.Contact
	latest   map[string]int // SourceID → position of its current version
	gen      func(i int) connectors.Contact
	n        int
	pageSize int
	fault    func(page int) error
	calls    int
}

// NewSource returns a source whose feed holds contacts, served in pages of pageSize.
func NewSource(pageSize int, contacts ...connectors.Contact) *Source {
	s := &Source{pageSize: max(pageSize, 1)}
	s.Put(contacts...)
	return s
}

// NewGenerated returns a source of n contacts made by gen on demand.
func NewGenerated(pageSize, n int, gen func(i int) connectors.Contact) *Source {
	return &Source{pageSize: max(pageSize, 1), gen: gen, n: n}
}

// Put appends new versions of contacts to the feed (a change in the source).
func (s *Source) Put(contacts ...connectors.Contact) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != nil {
		panic("syncertest: Put on a generated source")
	}
	for _, c := range contacts {
		s.add(c)
	}
}

func (s *Source) add(c connectors.Contact) {
	if s.latest == nil {
		s.latest = map[string]int{}
	}
	s.latest[c.SourceID] = len(s.log)
	s.log = append(s.log, c)
	s.n = len(s.log)
}

// SetFault makes page fetches fail: fault is called with the index of each
// page fetched (counting every fetch of the source's life) and its error,
// if any, is returned by Changes.
func (s *Source) SetFault(fault func(page int) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = fault
}

// Calls returns how many page fetches were made.
func (s *Source) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Check names a fake account.
func (s *Source) Check(ctx context.Context) (connectors.Account, error) {
	connectors.CountCall(ctx)
	return connectors.Account{ID: "fake", Name: "Fake Source"}, nil
}

// CursorNow skips every contact in the feed so far.
func (s *Source) CursorNow(ctx context.Context) (string, error) {
	connectors.CountCall(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	return strconv.Itoa(s.n), nil
}

// Changes streams the feed after cursor in pages, one counted call each.
func (s *Source) Changes(ctx context.Context, cursor string, fn func(connectors.Page) error) error {
	off := 0
	if cursor != "" {
		var err error
		if off, err = strconv.Atoi(cursor); err != nil || off < 0 {
			return &connectors.Error{Kind: connectors.KindInvalid, Provider: "fake", Op: "list changes", Message: fmt.Sprintf("bad cursor %q", cursor)}
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, end, err := s.page(ctx, off)
		if err != nil || end == off {
			return err
		}
		off = end
		if err := fn(page); err != nil {
			return err
		}
	}
}

// page returns the page at off and the offset after it (off at the end).
func (s *Source) page(ctx context.Context, off int) (connectors.Page, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if off >= s.n {
		return connectors.Page{}, off, nil
	}
	connectors.CountCall(ctx)
	s.calls++
	if s.fault != nil {
		if err := s.fault(s.calls - 1); err != nil {
			return connectors.Page{}, off, err
		}
	}
	end := min(off+s.pageSize, s.n)
	cs := make([]connectors.Contact, 0, end-off)
	for i := off; i < end; i++ {
		switch {
		case s.gen != nil:
			cs = append(cs, s.gen(i))
		case s.latest[s.log[i].SourceID] == i:
			cs = append(cs, clone(s.log[i]))
		}
	}
	return connectors.Page{Contacts: cs, Cursor: strconv.Itoa(end)}, end, nil
}

// WriteOptOut records a target unsubscribe: the latest version of every
// source contact with that email becomes opted out (a new version in the feed).
func (s *Source) WriteOptOut(ctx context.Context, email string) (int, error) {
	connectors.CountCall(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, i := range slices.Sorted(maps.Values(s.latest)) {
		if connectors.NormalizeEmail(s.log[i].Email) != email {
			continue
		}
		n++
		if s.log[i].Consent != connectors.ConsentOptedOut {
			c := clone(s.log[i])
			c.Consent = connectors.ConsentOptedOut
			s.add(c)
		}
	}
	return n, nil
}

func clone(c connectors.Contact) connectors.Contact {
	c.Tags = append([]string(nil), c.Tags...)
	if c.Custom != nil {
		c.Custom = maps.Clone(c.Custom)
	}
	return c
}
