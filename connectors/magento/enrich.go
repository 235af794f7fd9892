package magento

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/contactsync/contactsync/connectors"
)

// enrich turns a page of customers into contacts with their purchases.
func (s *Source) enrich(ctx context.Context, items []customer) ([]connectors.Contact, error) {
	if err := s.fillSubscriptions(ctx, items); err != nil {
		return nil, err
	}
	purchases, err := s.purchases(ctx, items)
	if err != nil {
		return nil, err
	}
	out := make([]connectors.Contact, len(items))
	for i, c := range items {
		out[i] = toContact(c, purchases[c.ID])
	}
	return out, nil
}

// fillSubscriptions reads is_subscribed by ID for stores whose search
// results leave it out (2.3.x before the fix).
func (s *Source) fillSubscriptions(ctx context.Context, items []customer) error {
	for i := range items {
		if items[i].Ext != nil && items[i].Ext.IsSubscribed != nil {
			continue
		}
		var full customer
		if err := s.get(ctx, "read customer", "customers/"+strconv.FormatInt(items[i].ID, 10), nil, &full); err != nil {
			if connectors.KindOf(err) == connectors.KindNotFound {
				continue // deleted since the search
			}
			return err
		}
		items[i].Ext = full.Ext
	}
	return nil
}

// purchases sums the orders of these customers, fetched in concurrent
// batches by customer_id or, for orders placed as a guest, by email (short
// batches keep URLs within what proxies accept). Canceled orders do not
// count; refunds lower the total.
func (s *Source) purchases(ctx context.Context, items []customer) (map[int64]connectors.Purchases, error) {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	out := map[int64]connectors.Purchases{}
	for batch := range slices.Chunk(items, s.orderBatch) {
		wg.Go(func() {
			sums, err := s.batchPurchases(ctx, batch)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			for id, p := range sums {
				out[id] = p
			}
		})
	}
	wg.Wait()
	return out, firstErr
}

// batchPurchases sums the orders of one batch of customers.
func (s *Source) batchPurchases(ctx context.Context, batch []customer) (map[int64]connectors.Purchases, error) {
	out := map[int64]connectors.Purchases{}
	ids := map[int64]bool{}
	byEmail := map[string][]int64{}
	var emails []string
	for _, c := range batch {
		ids[c.ID] = true
		if e := connectors.NormalizeEmail(c.Email); plausibleEmail(e) {
			if byEmail[e] == nil {
				emails = append(emails, e)
			}
			byEmail[e] = append(byEmail[e], c.ID)
		}
	}
	group := []cond{{"customer_id", inList(batch, func(c customer) string { return strconv.FormatInt(c.ID, 10) }), "in"}}
	if len(emails) > 0 {
		group = append(group, cond{"customer_email", strings.Join(emails, ","), "in"})
	}
	q := search{groups: [][]cond{group}, sorts: [][2]string{{"entity_id", "ASC"}}, pageSize: s.pageSize}
	for p := 1; ; p++ {
		var page orderPage
		q.page = p
		if err := s.get(ctx, "search orders", "orders", q.values(), &page); err != nil {
			return nil, err
		}
		for _, o := range page.Items {
			if o.State == "canceled" {
				continue
			}
			owners := byEmail[connectors.NormalizeEmail(o.CustomerEmail)]
			if o.CustomerID != nil {
				if !ids[*o.CustomerID] {
					continue
				}
				owners = []int64{*o.CustomerID}
			}
			for _, id := range owners {
				out[id] = addOrder(out[id], o)
			}
		}
		if p >= pages(page.TotalCount, s.pageSize) {
			break
		}
	}
	return out, nil
}

func addOrder(p connectors.Purchases, o order) connectors.Purchases {
	p.Count++
	p.Total += o.GrandTotal - o.TotalRefunded
	if t, err := parseTime(o.CreatedAt); err == nil {
		if p.First.IsZero() || t.Before(p.First) {
			p.First = t
		}
		if t.After(p.Last) {
			p.Last = t
		}
	}
	return p
}

// usableEmail leaves out addresses that would break an "in" list.
func usableEmail(e string) bool { return e != "" && !strings.Contains(e, ",") }

// plausibleEmail is a cheap shape check (one @, a dotted domain, no
// spaces). Guest orders are matched by email only for such addresses: a
// malformed one ("jane.doe@") is often shared by many accounts and would
// pull in orders of all of them, and it could never be mailed anyway.
func plausibleEmail(e string) bool {
	local, domain, ok := strings.Cut(e, "@")
	return ok && usableEmail(e) && local != "" && !strings.ContainsAny(e, " \t") &&
		!strings.Contains(domain, "@") && strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".")
}

// toContact maps a Magento customer: is_subscribed is the consent (false
// is an opt-out, the design's "opt-in sync"); an account awaiting email
// confirmation is inactive; the default billing address gives company,
// phone and address.
func toContact(c customer, p connectors.Purchases) connectors.Contact {
	k := connectors.Contact{SourceID: strconv.FormatInt(c.ID, 10), Email: c.Email, FirstName: c.Firstname,
		LastName: c.Lastname, Active: c.Confirmation == "", Consent: connectors.ConsentUnknown, Purchases: p,
		Custom: map[string]string{"groupID": strconv.Itoa(c.GroupID), "websiteID": strconv.Itoa(c.WebsiteID)}}
	if c.Ext != nil && c.Ext.IsSubscribed != nil {
		k.Consent = connectors.ConsentOptedOut
		if *c.Ext.IsSubscribed {
			k.Consent = connectors.ConsentSubscribed
		}
	}
	if c.CreatedIn != "" {
		k.Custom["createdIn"] = c.CreatedIn
	}
	if t, err := parseTime(c.UpdatedAt); err == nil {
		k.UpdatedAt = t
	}
	if a := billing(c); a != nil {
		k.Company, k.Phone = a.Company, a.Telephone
		k.Address = connectors.Address{Street: strings.Join(a.Street, ", "), City: a.City, PostalCode: a.Postcode, Country: a.CountryID}
		if a.Region != nil {
			k.Address.Region = a.Region.Code
			if k.Address.Region == "" {
				k.Address.Region = a.Region.Region
			}
		}
	}
	return k
}

func billing(c customer) *address {
	for i, a := range c.Addresses {
		if a.Billing || (c.Billing != "" && a.ID.String() == c.Billing) {
			return &c.Addresses[i]
		}
	}
	if len(c.Addresses) > 0 {
		return &c.Addresses[0]
	}
	return nil
}
