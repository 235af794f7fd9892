package kibo

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// settle keeps the last seconds out of a run's window, so writes whose
// updateDate Kibo stamped just before are not missed by this run; the next
// run takes them.
const settle = 2 * time.Second

// idBatch is how many account IDs one `id eq … or …` filter carries, which
// keeps the URL a few KiB.
const idBatch = 100

// order is the part of an order the sync reads.
type order struct {
	ID                string      `json:"id"`
	CustomerAccountID json.Number `json:"customerAccountId"`
	AuditInfo         struct {
		UpdateDate stamp `json:"updateDate"`
	} `json:"auditInfo"`
}

var accountListing = listing[account]{
	op: "list customer accounts", path: "/commerce/customer/accounts",
	keyOf: func(a *account) (time.Time, string, bool) {
		d := a.AuditInfo.UpdateDate
		return d.Time, a.id(), !d.bad && !d.IsZero() && a.id() != ""
	},
}

var orderListing = listing[order]{
	op: "list orders", path: "/commerce/orders",
	keyOf: func(o *order) (time.Time, string, bool) {
		d := o.AuditInfo.UpdateDate
		return d.Time, o.ID, !d.bad && !d.IsZero() && o.ID != ""
	},
}

// Check creates an auth ticket and reads one account of the tenant and site.
func (s *Source) Check(ctx context.Context) (connectors.Account, error) {
	var c collection[account]
	if err := s.call(ctx, "check access", "GET", s.apiBase+"/commerce/customer/accounts?pageSize=1", nil, true, &c); err != nil {
		return connectors.Account{}, err
	}
	return connectors.Account{ID: s.tenant, Name: "Kibo tenant " + s.tenant + ", site " + s.site}, nil
}

// Changes streams the accounts updated after the cursor, then the accounts
// whose orders changed after it (Kibo does not say whether an order bumps
// its account's updateDate, so purchases are tracked on their own
// watermark). Cursor "" is a full pass over every account.
func (s *Source) Changes(ctx context.Context, cur string, fn func(connectors.Page) error) error {
	c, err := parseCursor(cur)
	if err != nil {
		return err
	}
	// A ticket first: its response tells us Kibo's clock.
	if _, err := s.accessToken(ctx); err != nil {
		return err
	}
	upper := s.serverNow().Add(-settle).Truncate(time.Second)
	next := c
	if c.Accounts == nil {
		// Every summary read after upper includes the orders before it.
		next.Orders = &key{At: upper}
	}
	from := key{}
	if c.Accounts != nil {
		from = *c.Accounts
	}
	err = scan(ctx, s, accountListing, from, upper, func(items []account, last key) error {
		next.Accounts = &last
		return fn(connectors.Page{Contacts: contacts(items), Cursor: next.encode()})
	})
	if err != nil || c.Accounts == nil || c.Orders == nil {
		return err
	}
	return scan(ctx, s, orderListing, *c.Orders, upper, func(items []order, last key) error {
		var ids []string
		seen := map[string]bool{}
		for _, o := range items {
			id := o.CustomerAccountID.String()
			if id != "" && id != "0" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		accounts, err := s.accountsByID(ctx, ids)
		if err != nil {
			return err
		}
		// Accounts updated inside this run's window were sent by the first
		// scan with summaries read after upper.
		kept := accounts[:0]
		for _, a := range accounts {
			at, id, ok := accountListing.keyOf(&a)
			if ok && from.after(at, id) && !at.After(upper) {
				continue
			}
			kept = append(kept, a)
		}
		next.Orders = &last
		return fn(connectors.Page{Contacts: contacts(kept), Cursor: next.encode()})
	})
}

func contacts(items []account) []connectors.Contact {
	out := make([]connectors.Contact, len(items))
	for i := range items {
		out[i] = items[i].contact()
	}
	return out
}

// accountsByID fetches accounts in batches of `id eq … or …` filters.
func (s *Source) accountsByID(ctx context.Context, ids []string) ([]account, error) {
	var out []account
	for len(ids) > 0 {
		n := min(len(ids), idBatch)
		terms := make([]string, n)
		for i, id := range ids[:n] {
			terms[i] = "id eq " + id
		}
		ids = ids[n:]
		q := url.Values{"pageSize": {"200"}, "filter": {strings.Join(terms, " or ")}}
		var c collection[account]
		if err := s.call(ctx, "get customer accounts by id", "GET", s.apiBase+"/commerce/customer/accounts?"+q.Encode(), nil, true, &c); err != nil {
			return nil, err
		}
		out = append(out, c.Items...)
	}
	return out, nil
}

// CursorNow returns a cursor at the newest account and order, so a
// NewOnly sync sends only what changes from now on.
func (s *Source) CursorNow(ctx context.Context) (string, error) {
	if _, err := s.accessToken(ctx); err != nil {
		return "", err
	}
	fallback := key{At: s.serverNow().Add(-settle).Truncate(time.Second)}
	acc, err := newest(ctx, s, accountListing, fallback)
	if err != nil {
		return "", err
	}
	ord, err := newest(ctx, s, orderListing, fallback)
	if err != nil {
		return "", err
	}
	return cursor{Accounts: &acc, Orders: &ord}.encode(), nil
}

// newest is the key of the most recently updated item, or fallback when there is none.
func newest[T any](ctx context.Context, s *Source, l listing[T], fallback key) (key, error) {
	q := url.Values{"pageSize": {"1"}, "sortBy": {"auditInfo.updateDate desc,id desc"}}
	var c collection[T]
	if err := s.call(ctx, l.op, "GET", s.apiBase+l.path+"?"+q.Encode(), nil, true, &c); err != nil {
		return key{}, err
	}
	if len(c.Items) > 0 {
		if at, id, ok := l.keyOf(&c.Items[0]); ok {
			return key{At: at, ID: id}, nil
		}
	}
	return fallback, nil
}
