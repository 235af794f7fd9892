package quickbookstest

import (
	"slices"
	"sort"
	"time"
)

// record is a stored entity: *Customer or *Transaction.
type record interface{ base() *Entity }

func lut(r record) time.Time { return r.base().MetaData.LastUpdatedTime.Time }

// compareIDs orders numeric IDs as numbers ("9" < "10").
func compareIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareRecords(a, b record) int {
	if c := lut(a).Compare(lut(b)); c != 0 {
		return c
	}
	return compareIDs(a.base().Id, b.base().Id)
}

// table holds one entity type, indexed by ID and by last-updated time so
// that incremental queries and CDC read a slice instead of sorting 100,000
// rows on every request.
type table struct {
	byID  map[string]record
	order []record // sorted by (LastUpdatedTime, Id), deleted ones included
}

func newTable() *table { return &table{byID: map[string]record{}} }

// put adds a new record at its place in the time index.
func (t *table) put(r record) {
	t.byID[r.base().Id] = r
	i, _ := slices.BinarySearchFunc(t.order, r, compareRecords)
	t.order = slices.Insert(t.order, i, r)
}

// update moves r in the time index around a change of its fields.
func (t *table) update(r record, change func()) {
	if i, ok := slices.BinarySearchFunc(t.order, r, compareRecords); ok {
		t.order = slices.Delete(t.order, i, i+1)
	}
	change()
	i, _ := slices.BinarySearchFunc(t.order, r, compareRecords)
	t.order = slices.Insert(t.order, i, r)
}

// bulk adds many records and sorts the index once.
func (t *table) bulk(rs []record) {
	for _, r := range rs {
		t.byID[r.base().Id] = r
	}
	t.order = append(t.order, rs...)
	sort.SliceStable(t.order, func(i, j int) bool { return compareRecords(t.order[i], t.order[j]) < 0 })
}

// since returns the records updated at or after from, oldest first.
func (t *table) since(from time.Time) []record {
	i := sort.Search(len(t.order), func(i int) bool { return !lut(t.order[i]).Before(from) })
	return t.order[i:]
}

// after returns the records updated strictly after from, oldest first.
func (t *table) after(from time.Time) []record {
	i := sort.Search(len(t.order), func(i int) bool { return lut(t.order[i]).After(from) })
	return t.order[i:]
}

// store is the emulated company's data.
type store struct {
	customers *table
	txns      map[string]*table
	// byCustomer indexes transactions by entity and CustomerRef.value.
	byCustomer map[string]map[string][]*Transaction
	// names maps display names to customer IDs: they are unique.
	names  map[string]string
	nextID map[string]int
}

func newStore() *store {
	s := &store{customers: newTable(), txns: map[string]*table{},
		byCustomer: map[string]map[string][]*Transaction{}, names: map[string]string{}, nextID: map[string]int{}}
	for _, e := range transactionEntities {
		s.txns[e] = newTable()
		s.byCustomer[e] = map[string][]*Transaction{}
	}
	return s
}

func (s *store) table(entity string) *table {
	if entity == EntityCustomer {
		return s.customers
	}
	return s.txns[entity]
}

func (s *store) newID(entity string) string {
	s.nextID[entity]++
	return itoa(s.nextID[entity])
}

func (s *store) indexTxn(entity string, t *Transaction) {
	if t.CustomerRef != nil && t.Status != "Deleted" {
		m := s.byCustomer[entity]
		m[t.CustomerRef.Value] = append(m[t.CustomerRef.Value], t)
	}
}

func (s *store) unindexTxn(entity string, t *Transaction) {
	if t.CustomerRef == nil {
		return
	}
	m := s.byCustomer[entity]
	m[t.CustomerRef.Value] = slices.DeleteFunc(m[t.CustomerRef.Value], func(x *Transaction) bool { return x == t })
}
