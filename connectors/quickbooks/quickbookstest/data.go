package quickbookstest

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// Event is a change a webhook reports.
type Event struct {
	Entity    string    `json:"name"`
	ID        string    `json:"id"`
	Operation string    `json:"operation"` // Create, Update, Delete, Merge, Void
	Time      time.Time `json:"lastUpdated"`
	// DeletedID is the losing record of a Merge.
	DeletedID string `json:"deletedId,omitempty"`
}

// DataError is a validation failure of a write (a Fault with a code).
type DataError struct {
	Code    string
	Message string
	Detail  string
	Status  int
}

func (e *DataError) Error() string {
	return fmt.Sprintf("%s (code %s): %s", e.Message, e.Code, e.Detail)
}

func notFound(entity, id string) error {
	return &DataError{Code: "610", Status: 400, Message: "Object Not Found",
		Detail: fmt.Sprintf("Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees. %s Id %s", entity, id)}
}

func (e *Emulator) record(ev Event) { e.events = append(e.events, ev) }

// meta stamps a new object; QuickBooks times have second resolution.
func meta(t time.Time) *MetaData {
	t = t.Truncate(time.Second)
	return &MetaData{CreateTime: Time{t}, LastUpdatedTime: Time{t}}
}

func bumpSyncToken(s string) string {
	n, _ := strconv.Atoi(s)
	return strconv.Itoa(n + 1)
}

// UpsertCustomer creates c (empty Id) or replaces the customer with c's Id,
// as an administrator would: no SyncToken check. Display names must be unique.
func (e *Emulator) UpsertCustomer(c Customer) (Customer, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.upsertCustomerLocked(c, false)
}

// upsertCustomerLocked writes c; sparse keeps the fields c leaves empty.
func (e *Emulator) upsertCustomerLocked(c Customer, sparse bool) (Customer, error) {
	now := e.nowLocked()
	d := e.data
	if c.Id == "" {
		if c.DisplayName == "" {
			c.DisplayName = joinName(c.GivenName, c.FamilyName, c.CompanyName)
		}
		if c.DisplayName == "" {
			return Customer{}, &DataError{Code: "6000", Status: 400, Message: "A business validation error has occurred while processing your request",
				Detail: "Required param missing, need to supply the required value for the API: DisplayName"}
		}
		if _, dup := d.names[displayNameKey(c.DisplayName)]; dup {
			return Customer{}, duplicateName(c.DisplayName)
		}
		stored := c
		stored.Id = d.newID(EntityCustomer)
		stored.SyncToken = "0"
		stored.MetaData = meta(now)
		stored.Domain = "QBO"
		stored.Sparse = boolPtr(false)
		stored.Status = ""
		if stored.Active == nil {
			stored.Active = boolPtr(true)
		}
		stored.FullyQualifiedName = stored.DisplayName
		d.names[displayNameKey(stored.DisplayName)] = stored.Id
		d.customers.put(&stored)
		e.record(Event{Entity: EntityCustomer, ID: stored.Id, Operation: "Create", Time: now})
		return stored, nil
	}
	r, ok := d.customers.byID[c.Id]
	if !ok || r.base().Status == "Deleted" {
		return Customer{}, notFound(EntityCustomer, c.Id)
	}
	cur := r.(*Customer)
	next := c
	if sparse {
		next = mergeSparse(*cur, c)
	}
	if next.DisplayName == "" {
		next.DisplayName = cur.DisplayName
	}
	if key := displayNameKey(next.DisplayName); key != displayNameKey(cur.DisplayName) {
		if _, dup := d.names[key]; dup {
			return Customer{}, duplicateName(next.DisplayName)
		}
		delete(d.names, displayNameKey(cur.DisplayName))
		d.names[key] = cur.Id
	}
	if next.Active == nil {
		next.Active = cur.Active
	}
	d.customers.update(cur, func() {
		created := cur.MetaData.CreateTime
		next.Entity = Entity{Id: cur.Id, SyncToken: bumpSyncToken(cur.SyncToken), Domain: "QBO", Sparse: boolPtr(false),
			MetaData: &MetaData{CreateTime: created, LastUpdatedTime: Time{now}}}
		next.FullyQualifiedName = next.DisplayName
		*cur = next
	})
	e.record(Event{Entity: EntityCustomer, ID: cur.Id, Operation: "Update", Time: now})
	return *cur, nil
}

func duplicateName(name string) error {
	return &DataError{Code: "6240", Status: 400, Message: "Duplicate Name Exists Error",
		Detail: "The name supplied already exists. : " + name}
}

func joinName(parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += " "
		}
		out += p
	}
	return out
}

// mergeSparse applies the fields a sparse update sets.
func mergeSparse(cur, upd Customer) Customer {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&cur.Title, upd.Title)
	set(&cur.GivenName, upd.GivenName)
	set(&cur.MiddleName, upd.MiddleName)
	set(&cur.FamilyName, upd.FamilyName)
	set(&cur.Suffix, upd.Suffix)
	set(&cur.CompanyName, upd.CompanyName)
	set(&cur.DisplayName, upd.DisplayName)
	set(&cur.PrintOnCheckName, upd.PrintOnCheckName)
	set(&cur.Notes, upd.Notes)
	set(&cur.PreferredDeliveryMethod, upd.PreferredDeliveryMethod)
	if upd.Active != nil {
		cur.Active = upd.Active
	}
	if upd.PrimaryPhone != nil {
		cur.PrimaryPhone = upd.PrimaryPhone
	}
	if upd.Mobile != nil {
		cur.Mobile = upd.Mobile
	}
	if upd.PrimaryEmailAddr != nil {
		cur.PrimaryEmailAddr = upd.PrimaryEmailAddr
	}
	if upd.BillAddr != nil {
		cur.BillAddr = upd.BillAddr
	}
	if upd.ShipAddr != nil {
		cur.ShipAddr = upd.ShipAddr
	}
	return cur
}

// SetActive activates or deactivates a customer (QuickBooks cannot delete customers).
func (e *Emulator) SetActive(id string, active bool) (Customer, error) {
	return e.UpdateCustomer(id, func(c *Customer) { c.Active = boolPtr(active) })
}

// UpdateCustomer changes a customer through f, as an administrator would.
func (e *Emulator) UpdateCustomer(id string, f func(*Customer)) (Customer, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.data.customers.byID[id]
	if !ok {
		return Customer{}, notFound(EntityCustomer, id)
	}
	c := *r.(*Customer)
	f(&c)
	c.Id = id
	return e.upsertCustomerLocked(c, false)
}

// MergeCustomer merges customer from into into: from becomes a deleted
// record (CDC returns it with status Deleted) and its transactions move.
func (e *Emulator) MergeCustomer(from, into string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.data
	lr, ok1 := d.customers.byID[from]
	wr, ok2 := d.customers.byID[into]
	if !ok1 || !ok2 || lr.base().Status == "Deleted" || wr.base().Status == "Deleted" {
		return notFound(EntityCustomer, from+" or "+into)
	}
	now := e.nowLocked()
	loser := lr.(*Customer)
	delete(d.names, displayNameKey(loser.DisplayName))
	d.customers.update(loser, func() {
		loser.Status = "Deleted"
		loser.MetaData = &MetaData{CreateTime: loser.MetaData.CreateTime, LastUpdatedTime: Time{now}}
	})
	for _, entity := range transactionEntities {
		for _, tx := range slices.Clone(d.byCustomer[entity][from]) {
			d.unindexTxn(entity, tx)
			d.txns[entity].update(tx, func() {
				tx.CustomerRef = &Ref{Value: into, Name: wr.(*Customer).DisplayName}
				tx.SyncToken = bumpSyncToken(tx.SyncToken)
				tx.MetaData = &MetaData{CreateTime: tx.MetaData.CreateTime, LastUpdatedTime: Time{now}}
			})
			d.indexTxn(entity, tx)
		}
	}
	e.record(Event{Entity: EntityCustomer, ID: into, Operation: "Merge", Time: now, DeletedID: from})
	return nil
}

// AddTransaction records an Invoice, SalesReceipt or RefundReceipt of
// amount for a customer on date.
func (e *Emulator) AddTransaction(entity, customerID string, date time.Time, amount float64) (Transaction, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !isTransactionEntity(entity) {
		return Transaction{}, &DataError{Code: "4000", Status: 400, Message: "Unsupported entity", Detail: entity}
	}
	r, ok := e.data.customers.byID[customerID]
	if !ok || r.base().Status == "Deleted" {
		return Transaction{}, notFound(EntityCustomer, customerID)
	}
	t := e.newTransaction(entity, r.(*Customer), date, amount, e.nowLocked())
	e.data.txns[entity].put(t)
	e.data.indexTxn(entity, t)
	e.record(Event{Entity: entity, ID: t.Id, Operation: "Create", Time: e.nowLocked()})
	return *t, nil
}

func (e *Emulator) newTransaction(entity string, c *Customer, date time.Time, amount float64, at time.Time) *Transaction {
	amount = math.Round(amount*100) / 100
	id := e.data.newID(entity)
	t := &Transaction{
		Entity:      Entity{Id: id, SyncToken: "0", MetaData: meta(at), Domain: "QBO", Sparse: boolPtr(false)},
		DocNumber:   fmt.Sprintf("%d", 1000+e.data.nextID[entity]),
		TxnDate:     date.In(pacific).Format(time.DateOnly),
		CustomerRef: &Ref{Value: c.Id, Name: c.DisplayName},
		TotalAmt:    amount,
		CurrencyRef: &Ref{Value: "USD", Name: "United States Dollar"},
		Line: []Line{{Id: "1", LineNum: 1, Amount: amount, DetailType: "SalesItemLineDetail",
			SalesItemLineDetail: &SalesItemLineDetail{ItemRef: &Ref{Value: "1", Name: "Services"}}}},
	}
	if c.PrimaryEmailAddr != nil {
		t.BillEmail = &EmailAddress{Address: c.PrimaryEmailAddr.Address}
	}
	if entity == EntityInvoice {
		zero := 0.0
		t.Balance = &zero
	}
	return t
}

// VoidTransaction voids a transaction: its amount becomes 0 and its status Voided.
func (e *Emulator) VoidTransaction(entity, id string) error {
	return e.changeTransaction(entity, id, "Void", func(t *Transaction) {
		t.Status = "Voided"
		t.TotalAmt = 0
		t.PrivateNote = "Voided"
		for i := range t.Line {
			t.Line[i].Amount = 0
		}
	})
}

// DeleteTransaction deletes a transaction: queries stop returning it and CDC
// returns a tombstone.
func (e *Emulator) DeleteTransaction(entity, id string) error {
	return e.changeTransaction(entity, id, "Delete", func(t *Transaction) { t.Status = "Deleted" })
}

func (e *Emulator) changeTransaction(entity, id, op string, f func(*Transaction)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	tab := e.data.txns[entity]
	if tab == nil {
		return &DataError{Code: "4000", Status: 400, Message: "Unsupported entity", Detail: entity}
	}
	r, ok := tab.byID[id]
	if !ok || r.base().Status == "Deleted" {
		return notFound(entity, id)
	}
	t := r.(*Transaction)
	now := e.nowLocked()
	e.data.unindexTxn(entity, t)
	tab.update(t, func() {
		f(t)
		t.SyncToken = bumpSyncToken(t.SyncToken)
		t.MetaData = &MetaData{CreateTime: t.MetaData.CreateTime, LastUpdatedTime: Time{now}}
	})
	e.data.indexTxn(entity, t)
	e.record(Event{Entity: entity, ID: id, Operation: op, Time: now})
	return nil
}

// Customers returns every customer (deleted ones included), in ID order.
func (e *Emulator) Customers() []Customer {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Customer, 0, len(e.data.customers.byID))
	for _, r := range e.data.customers.byID {
		out = append(out, *r.(*Customer))
	}
	slices.SortFunc(out, func(a, b Customer) int { return compareIDs(a.Id, b.Id) })
	return out
}

// Customer returns one customer.
func (e *Emulator) Customer(id string) (Customer, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.data.customers.byID[id]
	if !ok {
		return Customer{}, false
	}
	return *r.(*Customer), true
}

// Transactions returns a customer's live transactions of one entity, in ID order.
func (e *Emulator) Transactions(entity, customerID string) []Transaction {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Transaction
	for _, t := range e.data.byCustomer[entity][customerID] {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Transaction) int { return compareIDs(a.Id, b.Id) })
	return out
}
