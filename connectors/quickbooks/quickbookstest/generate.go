package quickbookstest

import (
	"fmt"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// Generate adds n realistic customers (sandbox.People: a share without an
// email, with an invalid or a duplicated one, inactive ones) with two years
// of invoices, sales receipts and a few refunds. It is deterministic for a
// seed, and returns the number of customers in the company.
func (e *Emulator) Generate(n int, seed uint64) int {
	o := sandbox.DefaultGenOptions()
	o.Seed = seed
	o.Now = e.now()
	people := sandbox.People(n, o)
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.data
	customers := make([]record, 0, n)
	txns := map[string][]record{}
	refunds := 0
	for _, p := range people {
		c := e.customerFor(p, o.Now)
		d.names[displayNameKey(c.DisplayName)] = c.Id
		customers = append(customers, c)
		for _, ord := range p.Orders {
			entity := EntityInvoice
			if (p.N+ord.N)%2 == 1 {
				entity = EntitySalesReceipt
			}
			t := e.newTransaction(entity, c, ord.Date, ord.Amount, ord.Date)
			txns[entity] = append(txns[entity], t)
			// One order in twenty is partly refunded a few days later.
			if refunds++; refunds%20 == 0 && ord.Date.Add(72*time.Hour).Before(o.Now) {
				at := ord.Date.Add(72 * time.Hour)
				rt := e.newTransaction(EntityRefundReceipt, c, at, ord.Amount/4, at)
				txns[EntityRefundReceipt] = append(txns[EntityRefundReceipt], rt)
			}
		}
	}
	d.customers.bulk(customers)
	for entity, rs := range txns {
		d.txns[entity].bulk(rs)
		for _, r := range rs {
			d.indexTxn(entity, r.(*Transaction))
		}
	}
	return len(d.customers.byID)
}

// customerFor turns a generated person into a Customer the way QuickBooks
// users fill them in: a unique display name, sometimes two addresses in the
// one email field, a company for some.
func (e *Emulator) customerFor(p sandbox.Person, now time.Time) *Customer {
	d := e.data
	id := d.newID(EntityCustomer)
	display := p.FirstName + " " + p.LastName
	if _, dup := d.names[displayNameKey(display)]; dup {
		display = fmt.Sprintf("%s (%s)", display, id)
	}
	c := &Customer{
		Entity: Entity{Id: id, SyncToken: "0", Domain: "QBO", Sparse: boolPtr(false),
			MetaData: meta(p.Created)},
		GivenName: p.FirstName, FamilyName: p.LastName, CompanyName: p.Company,
		DisplayName: display, FullyQualifiedName: display, PrintOnCheckName: display,
		Active:       boolPtr(p.Active),
		PrimaryPhone: &TelephoneNumber{FreeFormNumber: p.Phone},
		BillAddr: &PhysicalAddress{Id: id, Line1: p.Street, City: p.City, CountrySubDivisionCode: p.Region,
			PostalCode: p.PostalCode, Country: p.Country},
		Taxable: boolPtr(true), PreferredDeliveryMethod: "Email",
		CurrencyRef: &Ref{Value: "USD", Name: "United States Dollar"},
	}
	if p.Email != "" {
		email := p.Email
		if p.N%97 == 13 {
			email += ", " + sandbox.EmailFor(p.LastName, p.FirstName, p.N+1_000_000)
		}
		c.PrimaryEmailAddr = &EmailAddress{Address: email}
	}
	if !p.Active {
		// Deactivation is an update, later than the creation.
		c.SyncToken = "1"
		deactivated := p.Updated.Add(time.Hour)
		if deactivated.After(now) {
			deactivated = now
		}
		c.MetaData.LastUpdatedTime = Time{deactivated.Truncate(time.Second)}
	}
	zero := 0.0
	c.Balance, c.BalanceWithJobs = &zero, &zero
	return c
}
