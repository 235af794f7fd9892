package magento

import (
	"context"
	"slices"
	"strconv"

	"github.com/contactsync/contactsync/connectors"
)

// Changes streams every customer saved after the cursor (all of them for
// ""), then, on incremental runs, the customers whose orders changed, each
// with its purchases. Customer pages are fetched ahead concurrently (offset
// paging allows it) and delivered in order.
func (s *Source) Changes(ctx context.Context, cursorStr string, fn func(connectors.Page) error) error {
	cur, err := decodeCursor(cursorStr)
	if err != nil {
		return err
	}
	st := &stream{src: s, fn: fn, last: cursorStr,
		cust:  &mark{at: cur.Customers, ids: slices.Clone(cur.CustIDs), max: s.maxBoundary},
		order: &mark{at: cur.Orders, ids: slices.Clone(cur.OrderIDs), max: s.maxBoundary}}
	full := cursorStr == ""
	if full {
		// Take the orders watermark first: orders that change during the
		// pass are then seen by the next run.
		at, id, err := s.latest(ctx, "search orders", "orders")
		if err != nil {
			return err
		}
		st.order.at, st.order.ids = at, nil
		if id != 0 {
			st.order.ids = []int64{id}
		}
	}
	delivered := map[int64]bool{}
	if err := st.customers(ctx, delivered); err != nil {
		return err
	}
	if !full {
		if err := st.orders(ctx, delivered); err != nil {
			return err
		}
	}
	return st.flush()
}

// stream delivers pages and keeps the watermarks they advance.
type stream struct {
	src         *Source
	fn          func(connectors.Page) error
	cust, order *mark
	last        string // the cursor of the last page delivered (or given)
}

func (st *stream) cursor() string {
	return cursor{Customers: st.cust.at, CustIDs: st.cust.ids, Orders: st.order.at, OrderIDs: st.order.ids}.encode()
}

func (st *stream) emit(contacts []connectors.Contact) error {
	st.last = st.cursor()
	return st.fn(connectors.Page{Contacts: contacts, Cursor: st.last})
}

// flush delivers an empty page when the watermarks moved without a contact
// to carry them (orders of guests only, rows delivered by an earlier run).
func (st *stream) flush() error {
	if c := st.cursor(); c != st.last {
		return st.emit(nil)
	}
	return nil
}

type loaded struct {
	seen     []int64 // rows an earlier run delivered (not enriched again)
	items    []customer
	contacts []connectors.Contact
	total    int
	err      error
}

// customers streams customers/search on updated_at >= watermark. A save
// during the run moves a row to the end and shifts the pages after it,
// which offset paging would miss; when totals change or fewer rows arrive
// than counted, a second, sequential pass delivers what was skipped.
func (st *stream) customers(ctx context.Context, delivered map[int64]bool) error {
	s := st.src
	q := search{sorts: byUpdated, pageSize: s.pageSize}
	if st.cust.at != "" {
		q.groups = [][]cond{{{"updated_at", st.cust.at, "gteq"}}}
	}
	before := *st.cust
	before.ids = slices.Clone(st.cust.ids)
	first, err := s.customerPage(ctx, q, 1)
	if err != nil {
		return err
	}
	total, n := first.TotalCount, pages(first.TotalCount, s.pageSize)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]chan loaded, n)
	for i := range results {
		results[i] = make(chan loaded, 1)
	}
	slots := make(chan struct{}, s.prefetch)
	go func() {
		for i := range n {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() {
				var l loaded
				if i == 0 {
					l.items, l.total = first.Items, first.TotalCount
				} else {
					p, err := s.customerPage(ctx, q, i+1)
					l.items, l.total, l.err = p.Items, p.TotalCount, err
				}
				if l.err == nil {
					l.items, l.seen = unseen(l.items, &before)
					l.contacts, l.err = s.enrich(ctx, l.items)
				}
				results[i] <- l
			}()
		}
	}()
	drift := false
	for i := range n {
		var l loaded
		select {
		case l = <-results[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-slots
		if l.err != nil {
			return l.err
		}
		drift = drift || l.total != total
		for _, id := range l.seen {
			delivered[id] = true
		}
		if err := st.deliver(l.items, l.contacts, delivered); err != nil {
			return err
		}
	}
	if drift || len(delivered) < total {
		return st.catchUp(ctx, q, &before, delivered)
	}
	return nil
}

// unseen splits rows into those to deliver and the IDs an earlier run delivered.
func unseen(items []customer, before *mark) ([]customer, []int64) {
	var seen []int64
	out := items[:0:0]
	for _, c := range items {
		if before.seen(c.UpdatedAt, c.ID) {
			seen = append(seen, c.ID)
		} else {
			out = append(out, c)
		}
	}
	return out, seen
}

// deliver emits one page, leaving out rows an earlier page delivered.
func (st *stream) deliver(items []customer, contacts []connectors.Contact, delivered map[int64]bool) error {
	page := make([]connectors.Contact, 0, len(items))
	for i, c := range items {
		if delivered[c.ID] {
			continue
		}
		delivered[c.ID] = true
		st.cust.advance(c.UpdatedAt, c.ID)
		page = append(page, contacts[i])
	}
	if len(page) == 0 {
		return nil
	}
	return st.emit(page)
}

// catchUp re-reads the same query page by page and delivers the rows the
// concurrent pass missed.
func (st *stream) catchUp(ctx context.Context, q search, before *mark, delivered map[int64]bool) error {
	s := st.src
	var missed []customer
	for p := 1; ; p++ {
		page, err := s.customerPage(ctx, q, p)
		if err != nil {
			return err
		}
		for _, c := range page.Items {
			if !delivered[c.ID] && !before.seen(c.UpdatedAt, c.ID) {
				missed = append(missed, c)
			}
		}
		if p >= pages(page.TotalCount, s.pageSize) {
			break
		}
	}
	s.log.V(1).Info("magento: rows moved during the run; delivering them in a catch-up pass", "rows", len(missed))
	return st.deliverAll(ctx, missed, delivered)
}

// deliverAll enriches and emits customers in pages.
func (st *stream) deliverAll(ctx context.Context, items []customer, delivered map[int64]bool) error {
	for len(items) > 0 {
		n := min(len(items), st.src.pageSize)
		contacts, err := st.src.enrich(ctx, items[:n])
		if err != nil {
			return err
		}
		page := make([]connectors.Contact, 0, n)
		for i, c := range items[:n] {
			if !delivered[c.ID] {
				delivered[c.ID] = true
				page = append(page, contacts[i])
			}
		}
		if len(page) > 0 {
			if err := st.emit(page); err != nil {
				return err
			}
		}
		items = items[n:]
	}
	return nil
}

// orders finds the customers whose orders changed after the orders
// watermark (new orders, refunds, cancellations) and delivers those not
// delivered yet; the watermark moves with the last of them.
func (st *stream) orders(ctx context.Context, delivered map[int64]bool) error {
	s := st.src
	q := search{sorts: byUpdated, pageSize: s.pageSize}
	if st.order.at != "" {
		q.groups = [][]cond{{{"updated_at", st.order.at, "gteq"}}}
	}
	before := *st.order
	before.ids = slices.Clone(st.order.ids)
	next := &mark{at: st.order.at, ids: slices.Clone(st.order.ids), max: st.order.max}
	ids, emails := map[int64]bool{}, map[string]bool{}
	for p := 1; ; p++ {
		var page orderPage
		q.page = p
		if err := s.get(ctx, "search orders", "orders", q.values(), &page); err != nil {
			return err
		}
		for _, o := range page.Items {
			if before.seen(o.UpdatedAt, o.ID) {
				continue
			}
			next.advance(o.UpdatedAt, o.ID)
			if o.CustomerID != nil {
				ids[*o.CustomerID] = true
			} else if e := connectors.NormalizeEmail(o.CustomerEmail); plausibleEmail(e) {
				emails[e] = true
			}
		}
		if p >= pages(page.TotalCount, s.pageSize) {
			break
		}
	}
	affected, err := s.customersFor(ctx, ids, emails, delivered)
	if err != nil {
		return err
	}
	// Pages keep the old orders watermark until the last one is delivered.
	for len(affected) > s.pageSize {
		if err := st.deliverAll(ctx, affected[:s.pageSize], delivered); err != nil {
			return err
		}
		affected = affected[s.pageSize:]
	}
	st.order = next
	return st.deliverAll(ctx, affected, delivered)
}

// customersFor fetches the customers with these IDs or emails that were
// not delivered yet, by batches of "in" queries.
func (s *Source) customersFor(ctx context.Context, ids map[int64]bool, emails map[string]bool, delivered map[int64]bool) ([]customer, error) {
	var idList []int64
	for id := range ids {
		if !delivered[id] {
			idList = append(idList, id)
		}
	}
	slices.Sort(idList)
	emailList := make([]string, 0, len(emails))
	for e := range emails {
		emailList = append(emailList, e)
	}
	slices.Sort(emailList)
	var out []customer
	seen := map[int64]bool{}
	fetch := func(field, values string) error {
		q := search{groups: [][]cond{{{field, values, "in"}}}, sorts: byUpdated, pageSize: s.pageSize}
		for p := 1; ; p++ {
			page, err := s.customerPage(ctx, q, p)
			if err != nil {
				return err
			}
			for _, c := range page.Items {
				if !delivered[c.ID] && !seen[c.ID] {
					seen[c.ID] = true
					out = append(out, c)
				}
			}
			if p >= pages(page.TotalCount, s.pageSize) {
				return nil
			}
		}
	}
	for batch := range slices.Chunk(idList, s.orderBatch) {
		if err := fetch("entity_id", inList(batch, func(id int64) string { return strconv.FormatInt(id, 10) })); err != nil {
			return nil, err
		}
	}
	for batch := range slices.Chunk(emailList, s.orderBatch) {
		if err := fetch("email", inList(batch, func(e string) string { return e })); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Source) customerPage(ctx context.Context, q search, page int) (customerPage, error) {
	q.page = page
	var out customerPage
	err := s.get(ctx, "search customers", "customers/search", q.values(), &out)
	return out, err
}

// latest returns the updated_at and ID of the most recently saved row.
func (s *Source) latest(ctx context.Context, op, path string) (string, int64, error) {
	q := search{sorts: [][2]string{{"updated_at", "DESC"}, {"entity_id", "DESC"}}, pageSize: 1, page: 1}
	var page struct {
		Items []struct {
			ID       int64  `json:"id"`
			EntityID int64  `json:"entity_id"`
			Updated  string `json:"updated_at"`
		} `json:"items"`
	}
	if err := s.get(ctx, op, path, q.values(), &page); err != nil || len(page.Items) == 0 {
		return "", 0, err
	}
	it := page.Items[0]
	return it.Updated, max(it.ID, it.EntityID), nil
}

// CursorNow is a cursor past every existing customer and order, for
// initialSync: NewOnly.
func (s *Source) CursorNow(ctx context.Context) (string, error) {
	var c cursor
	for _, w := range []struct {
		op, path string
		at       *string
		ids      *[]int64
	}{{"search customers", "customers/search", &c.Customers, &c.CustIDs}, {"search orders", "orders", &c.Orders, &c.OrderIDs}} {
		at, id, err := s.latest(ctx, w.op, w.path)
		if err != nil {
			return "", err
		}
		*w.at = at
		if id != 0 {
			*w.ids = []int64{id}
		}
	}
	return c.encode(), nil
}
