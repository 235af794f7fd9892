package kibotest

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// store holds accounts and orders. Stored values are never mutated: an update
// replaces the pointer, so query results can be cached and handed out
// without copying while writers go on.
type store struct {
	mu        sync.Mutex
	accounts  map[int]*Account
	orders    map[string]*Order
	byAccount map[int][]string // order IDs by customer account
	nextID    int
	nextOrder int
	version   uint64 // bumped by every write; invalidates the caches

	// The last results of each query, so the pages of one listing (the
	// connector asks for several at once) filter and sort 100,000 accounts
	// once, not once per page.
	accountCache queryCache[Account]
	orderCache   queryCache[Order]
}

type queryCache[T any] struct {
	version uint64
	results map[string][]*T
}

func (c *queryCache[T]) get(version uint64, key string) ([]*T, bool) {
	if c.version != version {
		c.version, c.results = version, map[string][]*T{}
	}
	r, ok := c.results[key]
	return r, ok
}

func (c *queryCache[T]) put(key string, r []*T) {
	if len(c.results) > 64 { // one run's queries; forget older ones
		c.results = map[string][]*T{}
	}
	c.results[key] = r
}

func newStore() *store {
	s := &store{}
	s.clear()
	return s
}

func (s *store) clear() {
	s.accounts, s.orders, s.byAccount = map[int]*Account{}, map[string]*Order{}, map[int][]string{}
	s.nextID, s.nextOrder = 1001, 100001
	s.version++
}

// query filters and sorts an entity set, through the cache.
func query[T any](version uint64, cache *queryCache[T], all func() []*T, fields fieldSet[T],
	filter, sortBy string, defaultSort string) ([]*T, error) {
	key := filter + "\x00" + sortBy
	if r, ok := cache.get(version, key); ok {
		return r, nil
	}
	f, err := parseFilter(filter, fields)
	if err != nil {
		return nil, fmt.Errorf("filter: %v", err)
	}
	if sortBy == "" {
		sortBy = defaultSort
	}
	keys, err := parseSort(sortBy, fields)
	if err != nil {
		return nil, fmt.Errorf("sortBy: %v", err)
	}
	var out []*T
	for _, x := range all() {
		if f == nil || f.eval(x) {
			out = append(out, x)
		}
	}
	sortItems(out, keys)
	cache.put(key, out)
	return out, nil
}

func (s *store) queryAccounts(filter, sortBy string) ([]*Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return query(s.version, &s.accountCache, func() []*Account { return slices.Collect(maps.Values(s.accounts)) },
		accountFields, filter, sortBy, "id asc")
}

func (s *store) queryOrders(filter, sortBy string) ([]*Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return query(s.version, &s.orderCache, func() []*Order { return slices.Collect(maps.Values(s.orders)) },
		orderFields, filter, sortBy, "orderNumber asc")
}

func (s *store) account(id int) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[id]
	if !ok {
		return Account{}, false
	}
	return *a, true
}

// putAccount stores a; ID 0 assigns a new one. The commerce summary is
// always the store's, computed from orders.
func (s *store) putAccount(a Account) Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.ID == 0 {
		a.ID = s.nextID
	}
	s.nextID = max(s.nextID, a.ID+1)
	for i := range a.Contacts {
		a.Contacts[i].AccountID = a.ID
	}
	a.CommerceSummary = s.summaryLocked(a.ID, a.CommerceSummary)
	s.accounts[a.ID] = &a
	s.version++
	return a
}

// updateAccount applies change to a copy of the account and stores it.
func (s *store) updateAccount(id int, change func(*Account)) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.accounts[id]
	if !ok {
		return Account{}, false
	}
	a := *old
	a.Contacts = slices.Clone(old.Contacts)
	change(&a)
	a.ID = id
	s.accounts[id] = &a
	s.version++
	return a, true
}

// putOrder stores o (new ID when empty) and refreshes its account's summary.
func (s *store) putOrder(o Order) Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.ID == "" {
		o.ID = fmt.Sprintf("%032x", s.nextOrder)
	}
	if o.OrderNumber == 0 {
		o.OrderNumber = s.nextOrder
	}
	s.nextOrder = max(s.nextOrder, o.OrderNumber) + 1
	if _, exists := s.orders[o.ID]; !exists && o.CustomerAccountID != 0 {
		s.byAccount[o.CustomerAccountID] = append(s.byAccount[o.CustomerAccountID], o.ID)
	}
	s.orders[o.ID] = &o
	s.refreshSummaryLocked(o.CustomerAccountID)
	s.version++
	return o
}

func (s *store) order(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, false
	}
	return *o, true
}

// refreshSummaryLocked recomputes an account's commerceSummary. Its
// auditInfo.updateDate is left alone: whether Kibo bumps it is unverified,
// so the emulator takes the conservative reading and the connector must
// find purchase changes through the orders.
func (s *store) refreshSummaryLocked(accountID int) {
	a, ok := s.accounts[accountID]
	if !ok {
		return
	}
	c := *a
	c.CommerceSummary = s.summaryLocked(accountID, a.CommerceSummary)
	s.accounts[accountID] = &c
}

func (s *store) summaryLocked(accountID int, base CommerceSummary) CommerceSummary {
	sum := CommerceSummary{TotalOrderAmount: Money{CurrencyCode: "USD"},
		WishlistCount: base.WishlistCount, VisitsCount: base.VisitsCount}
	for _, id := range s.byAccount[accountID] {
		o := s.orders[id]
		if o.Status == "Cancelled" || o.Status == "Abandoned" {
			continue
		}
		sum.OrderCount++
		sum.TotalOrderAmount.Amount += o.Total - o.AmountRefunded
		if sum.LastOrderDate == nil || o.SubmittedDate.After(*sum.LastOrderDate) {
			d := o.SubmittedDate
			sum.LastOrderDate = &d
		}
	}
	sum.TotalOrderAmount.Amount = math.Round(sum.TotalOrderAmount.Amount*100) / 100
	return sum
}

func (s *store) counts() (accounts, orders int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.accounts), len(s.orders)
}

// allAccounts returns the accounts by ID.
func (s *store) allAccounts() []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Account, 0, len(s.accounts))
	for _, a := range s.accounts {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// replaceAll swaps in a generated population in one step.
func (s *store) replaceAll(accounts []Account, orders []Order) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	for i := range orders {
		o := &orders[i]
		s.orders[o.ID] = o
		s.byAccount[o.CustomerAccountID] = append(s.byAccount[o.CustomerAccountID], o.ID)
		s.nextOrder = max(s.nextOrder, o.OrderNumber+1)
	}
	for i := range accounts {
		a := &accounts[i]
		a.CommerceSummary = s.summaryLocked(a.ID, a.CommerceSummary)
		s.accounts[a.ID] = a
		s.nextID = max(s.nextID, a.ID+1)
	}
}

// msNow truncates to Kibo's millisecond precision.
func msNow(now func() time.Time) time.Time { return now().UTC().Truncate(time.Millisecond) }
