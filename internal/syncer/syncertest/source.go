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
	"strconv"
	"sync"

	"github.com/contactsync/contactsync/connectors"
)

// Source is an in-memory change feed: every Put appends contact versions to
// a log, and the cursor is the offset in the log reached so far (a
// watermark). A Source built by NewGenerated computes its log on the fly,
// so a million-contact stream costs no memory.
type Source struct {
	mu       sync.Mutex
	log      []connectors.Contact
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
	s.log = append(s.log, contacts...)
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
		page, err := s.page(ctx, off)
		if err != nil {
			return err
		}
		if len(page.Contacts) == 0 {
			return nil
		}
		off += len(page.Contacts)
		if err := fn(page); err != nil {
			return err
		}
	}
}

func (s *Source) page(ctx context.Context, off int) (connectors.Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if off >= s.n {
		return connectors.Page{}, nil
	}
	connectors.CountCall(ctx)
	s.calls++
	if s.fault != nil {
		if err := s.fault(s.calls - 1); err != nil {
			return connectors.Page{}, err
		}
	}
	end := min(off+s.pageSize, s.n)
	cs := make([]connectors.Contact, 0, end-off)
	for i := off; i < end; i++ {
		if s.gen != nil {
			cs = append(cs, s.gen(i))
		} else {
			cs = append(cs, clone(s.log[i]))
		}
	}
	return connectors.Page{Contacts: cs, Cursor: strconv.Itoa(end)}, nil
}

// WriteOptOut records a target unsubscribe: the latest version of every
// source contact with that email becomes opted out (a new version in the feed).
func (s *Source) WriteOptOut(ctx context.Context, email string) (int, error) {
	connectors.CountCall(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	latest := map[string]int{}
	for i, c := range s.log {
		if connectors.NormalizeEmail(c.Email) == email {
			latest[c.SourceID] = i
		}
	}
	for _, i := range latest {
		if s.log[i].Consent != connectors.ConsentOptedOut {
			c := clone(s.log[i])
			c.Consent = connectors.ConsentOptedOut
			s.log = append(s.log, c)
		}
	}
	s.n = len(s.log)
	return len(latest), nil
}

func clone(c connectors.Contact) connectors.Contact {
	c.Tags = append([]string(nil), c.Tags...)
	if c.Custom != nil {
		c.Custom = maps.Clone(c.Custom)
	}
	return c
}
