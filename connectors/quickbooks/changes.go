package quickbooks

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

const (
	// cdcWindow is how far back the connector trusts CDC: Intuit allows 30
	// days; a day of margin covers clock skew and a slow run.
	cdcWindow = 29 * 24 * time.Hour
	// boundarySlack steps the next watermark back from the server's clock:
	// timestamps have second resolution and an object written in the second
	// of the answer must not be missed (the boundary is de-duplicated).
	boundarySlack = time.Second
	// lookahead is how many pages are fetched ahead of the one being written.
	lookahead = 2
)

var cdcEntities = strings.Join([]string{"Customer", entityInvoice, entitySalesReceipt, entityRefundReceipt}, ",")

// Changes streams the contacts changed after cur: every customer for "", a
// resumed full pass, or the CDC changes for an incremental cursor. A cursor
// of another company, or one older than CDC's window, starts a full pass.
// An incremental run with nothing new delivers one empty page carrying the
// advanced cursor, so the watermark never falls behind the CDC window.
func (s *Source) Changes(ctx context.Context, cur string, fn func(connectors.Page) error) error {
	if cur == "" {
		return s.fullPass(ctx, cursor{}, fn)
	}
	c, err := decodeCursor(cur)
	if err != nil {
		return err
	}
	switch {
	case c.Realm != s.realm:
		s.log.Info("cursor belongs to another QuickBooks company: running a full pass", "realm", s.realm)
		return s.fullPass(ctx, cursor{}, fn)
	case c.Mode == modeFull:
		return s.fullPass(ctx, c, fn)
	case s.now().Sub(c.Since) > cdcWindow:
		s.log.Info("cursor is older than the CDC window: running a full pass", "realm", s.realm, "since", c.Since)
		return s.fullPass(ctx, cursor{}, fn)
	}
	return s.incremental(ctx, c, cur, fn)
}

// CursorNow returns a CDC cursor at the server's current time.
func (s *Source) CursorNow(ctx context.Context) (string, error) {
	resp, err := s.query(ctx, "read server time", "SELECT count(*) FROM Customer")
	if err != nil {
		return "", err
	}
	return cursor{Realm: s.realm, Mode: modeCDC, Since: s.watermark(resp.Time.Time)}.encode(), nil
}

// watermark is the next inclusive watermark for a server time.
func (s *Source) watermark(server time.Time) time.Time {
	if server.IsZero() {
		server = s.now()
	}
	return server.Truncate(time.Second).Add(-boundarySlack)
}

// pageJob is a page being fetched; done closes when contacts or err is set.
type pageJob struct {
	contacts []connectors.Contact
	cursor   string
	err      error
	done     chan struct{}
}

// fullPass pages through every customer by LastUpdatedTime from c.After,
// fetching the next page and the purchases of up to lookahead pages while
// the engine writes the current one; pages are delivered in order.
func (s *Source) fullPass(ctx context.Context, c cursor, fn func(connectors.Page) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan *pageJob, lookahead)
	var produced error
	go func() {
		defer close(jobs)
		produced = s.producePages(ctx, c, jobs)
	}()
	for j := range jobs {
		<-j.done
		err := j.err
		if err == nil {
			err = fn(connectors.Page{Contacts: j.contacts, Cursor: j.cursor})
		}
		if err != nil {
			cancel()
			for j := range jobs {
				<-j.done
			}
			return err
		}
	}
	return produced
}

func (s *Source) producePages(ctx context.Context, c cursor, jobs chan<- *pageJob) error {
	after, since := c.After, c.Since
	seen := map[string]bool{}
	for _, k := range c.Seen {
		seen[k] = true
	}
	for start := 1; ; {
		q := "SELECT * FROM Customer WHERE Active IN (true,false)"
		if !after.IsZero() {
			q += " AND MetaData.LastUpdatedTime >= '" + qbTimeLiteral(after) + "'"
		}
		q += " ORDERBY MetaData.LastUpdatedTime STARTPOSITION " + strconv.Itoa(start) + " MAXRESULTS " + strconv.Itoa(pageSize)
		resp, err := s.query(ctx, "list customers", q)
		if err != nil {
			return err
		}
		if since.IsZero() {
			since = s.watermark(resp.Time.Time)
		}
		rows := resp.QueryResponse.Customer
		var fresh []customer
		for _, r := range rows {
			if !seen[objectKey("Customer", r.Id, r.SyncToken)] {
				fresh = append(fresh, r)
			}
		}
		more := len(rows) >= pageSize
		if more && len(fresh) == 0 {
			// More than a page shares one timestamp: step over what was delivered.
			start += len(rows)
			continue
		}
		start = 1
		if len(rows) > 0 {
			last := rows[len(rows)-1].MetaData.LastUpdatedTime.Time
			if last.Before(after) {
				return &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: "list customers",
					Message: "customers came back out of LastUpdatedTime order"}
			}
			if !last.Equal(after) {
				seen = map[string]bool{}
			}
			after = last
			for _, r := range rows {
				if r.MetaData.LastUpdatedTime.Equal(after) {
					seen[objectKey("Customer", r.Id, r.SyncToken)] = true
				}
			}
		}
		next := cursor{Realm: s.realm, Mode: modeCDC, Since: since}
		if more {
			next = cursor{Realm: s.realm, Mode: modeFull, Since: since, After: after, Seen: sortedKeys(seen)}
		}
		j := &pageJob{cursor: next.encode(), done: make(chan struct{})}
		go func() {
			defer close(j.done)
			j.contacts, j.err = s.contacts(ctx, fresh)
		}()
		select {
		case jobs <- j:
		case <-ctx.Done():
			<-j.done
			return ctx.Err()
		}
		if !more {
			return nil
		}
	}
}

// incremental reads one CDC answer: changed customers, and the customers
// whose invoices, receipts or refunds changed, with their purchases.
func (s *Source) incremental(ctx context.Context, c cursor, cur string, fn func(connectors.Page) error) error {
	var resp cdcResponse
	q := url.Values{"entities": {cdcEntities}, "changedSince": {qbTimeLiteral(c.Since)}}
	if err := s.get(ctx, "read changes (CDC)", "/cdc", q, &resp); err != nil {
		if ce := (*connectors.Error)(nil); errors.As(err, &ce) && ce.Kind == connectors.KindInvalid {
			// Intuit refuses a changedSince it no longer covers.
			s.log.Info("CDC refused the watermark: running a full pass", "realm", s.realm, "reason", ce.Message)
			return s.fullPass(ctx, cursor{}, fn)
		}
		return err
	}
	var all entities
	for _, r := range resp.CDCResponse {
		for _, e := range r.QueryResponse {
			all.Customer = append(all.Customer, e.Customer...)
			all.Invoice = append(all.Invoice, e.Invoice...)
			all.SalesReceipt = append(all.SalesReceipt, e.SalesReceipt...)
			all.RefundReceipt = append(all.RefundReceipt, e.RefundReceipt...)
		}
	}
	if len(all.Customer)+len(all.Invoice)+len(all.SalesReceipt)+len(all.RefundReceipt) >= s.cdcMax {
		s.log.Info("CDC answer is full: running a full pass", "realm", s.realm)
		return s.fullPass(ctx, cursor{}, fn)
	}
	seen := map[string]bool{}
	for _, k := range c.Seen {
		seen[k] = true
	}
	since := s.watermark(resp.Time.Time)
	if since.Before(c.Since) {
		since = c.Since
	}
	nextSeen := map[string]bool{}
	changed := map[string]customer{}
	fresh := func(entity, id, token string, updated time.Time) bool {
		k := objectKey(entity, id, token)
		if !updated.Before(since) {
			nextSeen[k] = true
		}
		return !seen[k]
	}
	for _, cu := range all.Customer {
		if fresh("Customer", cu.Id, cu.SyncToken, cu.MetaData.LastUpdatedTime.Time) {
			changed[cu.Id] = cu
		}
	}
	var refs []string
	for _, entity := range purchaseEntities {
		for _, tx := range rowsOf(&all, entity) {
			// A deleted transaction carries no CustomerRef: the next full pass corrects its customer.
			if fresh(entity, tx.Id, tx.SyncToken, tx.MetaData.LastUpdatedTime.Time) && tx.CustomerRef != nil {
				if _, ok := changed[tx.CustomerRef.Value]; !ok && !slices.Contains(refs, tx.CustomerRef.Value) {
					refs = append(refs, tx.CustomerRef.Value)
				}
			}
		}
	}
	more, err := s.customersByID(ctx, refs)
	if err != nil {
		return err
	}
	for _, cu := range more {
		changed[cu.Id] = cu
	}
	list := make([]customer, 0, len(changed))
	for _, cu := range changed {
		list = append(list, cu)
	}
	slices.SortFunc(list, func(a, b customer) int {
		if len(a.Id) != len(b.Id) {
			return len(a.Id) - len(b.Id)
		}
		return strings.Compare(a.Id, b.Id)
	})
	next := cursor{Realm: s.realm, Mode: modeCDC, Since: since, Seen: sortedKeys(nextSeen)}.encode()
	for batch := list; ; {
		n := min(len(batch), pageSize)
		contacts, err := s.contacts(ctx, batch[:n])
		if err != nil {
			return err
		}
		batch = batch[n:]
		pageCursor := cur // re-sending a page is harmless; skipping one is not
		if len(batch) == 0 {
			pageCursor = next
		}
		if err := fn(connectors.Page{Contacts: contacts, Cursor: pageCursor}); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
	}
}
