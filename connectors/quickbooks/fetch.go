package quickbooks

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/contactsync/contactsync/connectors"
)

// pageSize is QuickBooks' MAXRESULTS ceiling, also used for IN (…) batches.
const pageSize = 1000

// qbTimeLiteral writes a dateTime for a query or changedSince.
func qbTimeLiteral(t time.Time) string { return t.Format("2006-01-02T15:04:05-07:00") }

func inList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = "'" + strings.ReplaceAll(id, "'", `\'`) + "'"
	}
	return "(" + strings.Join(q, ",") + ")"
}

func batches(ids []string) [][]string {
	var out [][]string
	for len(ids) > 0 {
		n := min(len(ids), pageSize)
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	return out
}

// purchases totals the invoices, sales receipts and refunds of these
// customers: one paged CustomerRef IN (…) query per entity and batch, the
// three entities concurrently.
func (s *Source) purchases(ctx context.Context, ids []string) (tally, error) {
	out := tally{}
	if len(ids) == 0 {
		return out, nil
	}
	results := make([][]transaction, len(purchaseEntities))
	g, gctx := errgroup.WithContext(ctx)
	for i, entity := range purchaseEntities {
		g.Go(func() error {
			for _, batch := range batches(ids) {
				for start := 1; ; start += pageSize {
					q := "SELECT * FROM " + entity + " WHERE CustomerRef IN " + inList(batch) +
						" STARTPOSITION " + strconv.Itoa(start) + " MAXRESULTS " + strconv.Itoa(pageSize)
					resp, err := s.query(gctx, "list "+entity+" purchases", q)
					if err != nil {
						return err
					}
					rows := rowsOf(&resp.QueryResponse.entities, entity)
					results[i] = append(results[i], rows...)
					if len(rows) < pageSize {
						break
					}
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, entity := range purchaseEntities {
		for _, tx := range results[i] {
			out.add(entity, tx)
		}
	}
	return out, nil
}

func rowsOf(e *entities, entity string) []transaction {
	switch entity {
	case entityInvoice:
		return e.Invoice
	case entitySalesReceipt:
		return e.SalesReceipt
	}
	return e.RefundReceipt
}

// customersByID reads customers (active or not) by ID, in batches.
func (s *Source) customersByID(ctx context.Context, ids []string) ([]customer, error) {
	var out []customer
	for _, batch := range batches(ids) {
		q := "SELECT * FROM Customer WHERE Active IN (true,false) AND Id IN " + inList(batch) +
			" STARTPOSITION 1 MAXRESULTS " + strconv.Itoa(pageSize)
		resp, err := s.query(ctx, "read customers", q)
		if err != nil {
			return nil, err
		}
		out = append(out, resp.QueryResponse.Customer...)
	}
	return out, nil
}

// contacts maps customers and fills their purchases.
func (s *Source) contacts(ctx context.Context, cs []customer) ([]connectors.Contact, error) {
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		if !strings.EqualFold(c.Status, "Deleted") {
			ids = append(ids, c.Id)
		}
	}
	t, err := s.purchases(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]connectors.Contact, 0, len(cs))
	for _, c := range cs {
		ct := toContact(c)
		if p := t[c.Id]; p != nil && !ct.Deleted {
			ct.Purchases = *p
		}
		out = append(out, ct)
	}
	return out, nil
}

func objectKey(entity, id, syncToken string) string { return entity + ":" + id + ":" + syncToken }

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
