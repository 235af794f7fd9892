package syncer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// Params are the inputs of one run.
type Params struct {
	Source connectors.Source
	Target connectors.Target
	Policy *Policy
	// Cursor to resume from; "" streams every contact.
	Cursor string
	// FirstSync skips contacts inactive in the source before any lookup.
	// On every run an inactive contact the target does not have is skipped
	// too; one already in the list stays and keeps being updated. Keep it
	// set when resuming a first sync from a checkpoint.
	FirstSync bool
	// Full marks a full pass (reported; the caller passes Cursor "").
	Full bool
	// ContactsInTarget is what this sync kept in the target before the run
	// (status.contactsInTarget, or the last checkpoint's
	// Report.ContactsInTarget when resuming), for maxContacts; a run from
	// the beginning counts afresh.
	ContactsInTarget int64
	// Now is the clock (default time.Now); segments see its value at the
	// start of the run.
	Now func() time.Time
	// Checkpoint is called after each page is fully written, in page order,
	// with the cursor to resume from and the running report. An error ends
	// the run. It is not called in a dry run, whose cursor never moves.
	Checkpoint func(ctx context.Context, cp Checkpoint) error
	// Retry of batch-level target errors.
	Retry Retry
	// Limiters and LimiterKey share the target's declared limits per
	// credential key; leave nil for connectors that use the shared HTTP
	// client, which limits them already.
	Limiters   *Limiters
	LimiterKey string
}

// Checkpoint is the progress of a run after a page.
type Checkpoint struct {
	Cursor string
	Report Report
}

// Engine sizes.
const (
	defaultBatch       = 100
	defaultConcurrency = 4
	// maxInFlight bounds the contacts held in batches at once, so a target
	// with huge batches (Constant Contact imports 40,000) keeps memory flat.
	maxInFlight = 50_000
)

// Run streams the source's changes after p.Cursor into the target.
//
// It returns the report and, when the run could not finish, an error: the
// source failed, a batch failed terminally or after its retries, a
// checkpoint could not be saved, or ctx ended. Per-contact failures are
// counted in the report and are not errors. Errors keep their
// connectors.Error kind.
func Run(ctx context.Context, p Params) (Report, error) {
	if err := p.check(); err != nil {
		return Report{Cursor: p.Cursor}, err
	}
	return newRun(p).run(ctx, p.Source)
}

// Push runs the same pipeline over contacts pushed by a webhook (Flipcause)
// instead of a source stream. No cursor moves and no checkpoint is made.
func Push(ctx context.Context, p Params, contacts []connectors.Contact) (Report, error) {
	p.Checkpoint = nil
	p.Source = pushed(contacts)
	if err := p.check(); err != nil {
		return Report{Cursor: p.Cursor}, err
	}
	return newRun(p).run(ctx, p.Source)
}

func (p *Params) check() error {
	switch {
	case p.Target == nil:
		return errors.New("syncer: no target")
	case p.Policy == nil:
		return errors.New("syncer: no policy")
	case p.Source == nil:
		return errors.New("syncer: no source")
	}
	return nil
}

// pushed is a Source of one page without a cursor.
type pushed []connectors.Contact

func (pushed) Check(context.Context) (connectors.Account, error) { return connectors.Account{}, nil }

func (s pushed) Changes(_ context.Context, _ string, fn func(connectors.Page) error) error {
	return fn(connectors.Page{Contacts: s})
}

// item is one eligible contact on its way to the target.
type item struct {
	c    connectors.Contact
	page *pageState
}

// pageState tracks a page until every contact of it is written or failed.
type pageState struct {
	cursor  string
	pending int
	sealed  bool // every contact of the page has been dispatched or skipped
}

type batchResult struct {
	items []item
	rep   Report
	err   error
}

type run struct {
	p           Params
	pol         *Policy
	now         time.Time
	start       time.Time
	batchSize   int
	lookupSize  int
	concurrency int
	retry       Retry
	limiter     *Limiter
	tally       *tally
	srcCalls    connectors.CallCounter
	tgtCalls    connectors.CallCounter

	rep      Report
	queue    []*pageState
	buf      []item
	bufEmail map[string]bool
	inflight map[string]int // emails in batches being written
	running  int
	done     chan batchResult
}

func newRun(p Params) *run {
	if p.Now == nil {
		p.Now = time.Now
	}
	lim := p.Target.Limits()
	r := &run{
		p: p, pol: p.Policy, retry: p.Retry.withDefaults(),
		batchSize: lim.MaxBatch, lookupSize: lim.MaxLookup, concurrency: lim.Concurrency,
		bufEmail: map[string]bool{}, inflight: map[string]int{},
	}
	r.now = p.Now()
	r.start = time.Now()
	if r.batchSize <= 0 {
		r.batchSize = defaultBatch
	}
	if r.lookupSize <= 0 {
		r.lookupSize = r.batchSize
	}
	if r.concurrency <= 0 {
		r.concurrency = defaultConcurrency
	}
	r.concurrency = max(1, min(r.concurrency, maxInFlight/r.batchSize))
	r.done = make(chan batchResult, r.concurrency)
	if p.Limiters != nil {
		r.limiter = p.Limiters.For(p.LimiterKey, lim)
	}
	fromStart := p.Cursor == ""
	r.tally = newTally(p.ContactsInTarget, fromStart, p.Policy.spec.MaxContacts)
	r.rep = Report{Cursor: p.Cursor, Full: p.Full, DryRun: p.Policy.spec.DryRun}
	return r
}

func (r *run) run(ctx context.Context, src connectors.Source) (Report, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	pages := make(chan connectors.Page, 1)
	srcErr := make(chan error, 1)
	go func() {
		defer close(pages)
		sctx := connectors.WithCallCounter(ctx, &r.srcCalls)
		srcErr <- src.Changes(sctx, r.p.Cursor, func(pg connectors.Page) error {
			select {
			case pages <- pg:
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		})
	}()

	err := r.consume(ctx, pages)
	if err != nil {
		cancel(err)
		r.drain(pages)
	}
	if serr := <-srcErr; err == nil && serr != nil {
		err = fmt.Errorf("source: %w", serr)
	}
	return r.snapshot(), err
}

// consume reads pages until the source is done and every batch is written.
func (r *run) consume(ctx context.Context, pages <-chan connectors.Page) error {
	for {
		select {
		case pg, ok := <-pages:
			if !ok {
				if err := r.flush(ctx); err != nil {
					return err
				}
				return r.waitUntil(ctx, func() bool { return r.running == 0 })
			}
			if err := r.page(ctx, pg); err != nil {
				return err
			}
		case res := <-r.done:
			if err := r.finish(ctx, res); err != nil {
				return err
			}
		}
	}
}

// drain lets the source goroutine and the batches in flight end after a
// failure; their results no longer count.
func (r *run) drain(pages <-chan connectors.Page) {
	for range pages {
	}
	for ; r.running > 0; r.running-- {
		<-r.done
	}
}

func (r *run) page(ctx context.Context, pg connectors.Page) error {
	ps := &pageState{cursor: pg.Cursor}
	r.queue = append(r.queue, ps)
	for i := range pg.Contacts {
		c := pg.Contacts[i]
		if !r.eligible(&c) {
			continue
		}
		if r.bufEmail[c.Email] {
			// Writes apply in source order: the second record of an email
			// goes in a later batch, after the first is written.
			if err := r.flush(ctx); err != nil {
				return err
			}
		}
		r.buf = append(r.buf, item{c: c, page: ps})
		r.bufEmail[c.Email] = true
		ps.pending++
		if len(r.buf) >= r.batchSize {
			if err := r.flush(ctx); err != nil {
				return err
			}
		}
	}
	ps.sealed = true
	return r.advance(ctx)
}

// eligible normalises c and counts it; it reports whether c goes on to
// the target.
func (r *run) eligible(c *connectors.Contact) bool {
	r.rep.Fetched++
	if c.Deleted {
		// Deleting in the source stops syncing; the contact stays in the target.
		return false
	}
	c.Email = NormalizeEmail(c.Email)
	if c.Email == "" {
		r.rep.Skipped.NoEmail++
		return false
	}
	if err := ValidateEmail(c.Email); err != nil {
		r.rep.Skipped.InvalidEmail++
		r.rep.addError(ContactError{SourceID: c.SourceID, Email: c.Email, Reason: ReasonInvalidEmail,
			Message: "email " + err.Error(), Time: r.p.Now()})
		return false
	}
	if r.p.FirstSync && !c.Active {
		r.rep.Skipped.Inactive++
		return false
	}
	if r.pol.spec.Contacts == SubscribersOnly && c.Consent != connectors.ConsentSubscribed && c.Consent != connectors.ConsentOptedOut {
		// Opt-outs go on: an existing target contact must be unsubscribed.
		r.rep.Skipped.NotSubscribed++
		return false
	}
	return true
}

// flush sends the buffer as one batch, once a slot is free and no batch in
// flight holds one of its emails.
func (r *run) flush(ctx context.Context) error {
	if len(r.buf) == 0 {
		return nil
	}
	batch := r.buf
	err := r.waitUntil(ctx, func() bool {
		if r.running >= r.concurrency {
			return false
		}
		for _, it := range batch {
			if r.inflight[it.c.Email] > 0 {
				return false
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	r.buf = make([]item, 0, r.batchSize)
	clear(r.bufEmail)
	for _, it := range batch {
		r.inflight[it.c.Email]++
	}
	r.running++
	go func() { r.done <- r.process(ctx, batch) }()
	return nil
}

// waitUntil handles finished batches until cond holds.
func (r *run) waitUntil(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case res := <-r.done:
			if err := r.finish(ctx, res); err != nil {
				return err
			}
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

// finish accounts a written batch and checkpoints the pages it completed.
func (r *run) finish(ctx context.Context, res batchResult) error {
	r.running--
	for _, it := range res.items {
		if r.inflight[it.c.Email]--; r.inflight[it.c.Email] <= 0 {
			delete(r.inflight, it.c.Email)
		}
	}
	if res.err != nil {
		return res.err
	}
	r.rep.add(&res.rep)
	for _, it := range res.items {
		it.page.pending--
	}
	return r.advance(ctx)
}

// advance checkpoints the completed pages at the head of the queue, in order.
func (r *run) advance(ctx context.Context) error {
	for len(r.queue) > 0 && r.queue[0].sealed && r.queue[0].pending == 0 {
		ps := r.queue[0]
		r.queue[0] = nil
		r.queue = r.queue[1:]
		if ps.cursor == "" || r.pol.spec.DryRun {
			continue
		}
		r.rep.Cursor = ps.cursor
		if r.p.Checkpoint != nil {
			if err := r.p.Checkpoint(ctx, Checkpoint{Cursor: ps.cursor, Report: r.snapshot()}); err != nil {
				return fmt.Errorf("checkpoint: %w", err)
			}
		}
	}
	return nil
}

// snapshot is the report so far.
func (r *run) snapshot() Report {
	rep := r.rep.clone()
	rep.APICalls = APICalls{Source: r.srcCalls.Load(), Target: r.tgtCalls.Load()}
	rep.ContactsSeen, rep.ContactsInTarget = r.tally.counts()
	rep.Duration = time.Since(r.start)
	return rep
}
