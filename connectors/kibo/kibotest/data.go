package kibotest

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// Generate replaces the data with n generated accounts (sandbox.People:
// emails with a share missing, invalid or duplicated, inactive accounts,
// marketing opt-in, two years of orders with some refunds) and returns the
// number of orders. The same seed gives the same data.
func (e *Emulator) Generate(n int, seed uint64) int {
	o := sandbox.DefaultGenOptions()
	o.Seed = seed
	o.Now = e.opts.Now().UTC().Truncate(time.Second)
	people := sandbox.People(n, o)
	accounts := make([]Account, 0, n)
	var orders []Order
	orderNo := 100001
	for _, p := range people {
		a := accountFor(p)
		for _, po := range p.Orders {
			ord := Order{
				ID: fmt.Sprintf("%032x", orderNo), OrderNumber: orderNo, CustomerAccountID: a.ID,
				Email: p.Email, Status: "Completed", PaymentStatus: "Paid",
				SubmittedDate: po.Date.UTC().Truncate(time.Millisecond), Total: po.Amount, Subtotal: po.Amount,
				CurrencyCode: "USD", TotalCollected: po.Amount, AcceptsMarketing: p.Subscribed,
				Type: "Online", ChannelCode: "WEB", SiteID: e.opts.SiteID,
				AuditInfo: AuditInfo{CreateDate: po.Date.UTC().Truncate(time.Millisecond)},
			}
			ord.AuditInfo.UpdateDate = ord.AuditInfo.CreateDate
			// One order in 20 was partly refunded.
			if (p.N*31+po.N)%20 == 0 {
				ord.AmountRefunded = math.Round(po.Amount*50) / 100
				ord.TotalCollected = po.Amount - ord.AmountRefunded
			}
			orders = append(orders, ord)
			orderNo++
		}
		accounts = append(accounts, a)
	}
	e.store.replaceAll(accounts, orders)
	return len(orders)
}

// accountFor turns a generated person into a Kibo customer account with
// one primary billing contact.
func accountFor(p sandbox.Person) Account {
	id := 1001 + p.N
	created, updated := p.Created.UTC().Truncate(time.Millisecond), p.Updated.UTC().Truncate(time.Millisecond)
	since := created
	a := Account{
		ID: id, EmailAddress: p.Email, UserName: p.Email, FirstName: p.FirstName, LastName: p.LastName,
		LocaleCode: "en-US", UserID: fmt.Sprintf("%032x", id), IsActive: p.Active, AcceptsMarketing: p.Subscribed,
		CustomerSet: "default", CompanyOrOrganization: p.Company, ExternalID: fmt.Sprintf("EXT-%06d", id),
		AccountType: "B2C", CustomerSinceDate: &since,
		AuditInfo: AuditInfo{CreateDate: created, UpdateDate: updated, CreateBy: "storefront", UpdateBy: "storefront"},
		Notes:     []any{}, Attributes: []Attribute{}, Segments: []Segment{},
		CommerceSummary: CommerceSummary{VisitsCount: 1 + p.N%17},
	}
	if p.Company != "" {
		a.AccountType = "B2B"
	}
	if p.N%7 == 0 {
		a.Segments = append(a.Segments, Segment{ID: 1, Code: "VIP", Name: "VIP customers"})
	}
	a.Contacts = []Contact{{
		ID: id*10 + 1, AccountID: id, Email: p.Email, FirstName: p.FirstName, LastNameOrSurname: p.LastName,
		CompanyOrOrganization: p.Company, PhoneNumbers: PhoneNumbers{Home: p.Phone},
		Address: &Address{Address1: p.Street, CityOrTown: p.City, StateOrProvince: p.Region,
			PostalOrZipCode: p.PostalCode, CountryCode: p.Country, AddressType: "Residential"},
		Types:     []ContactType{{Name: "Billing", IsPrimary: true}},
		AuditInfo: AuditInfo{CreateDate: created, UpdateDate: created},
	}}
	return a
}

// PutAccount stores an account as given (ID 0 assigns one; a zero
// updateDate or createDate becomes now) and returns it. Tests use it to set
// exact watermarks.
func (e *Emulator) PutAccount(a Account) Account {
	now := msNow(e.opts.Now)
	if a.AuditInfo.CreateDate.IsZero() {
		a.AuditInfo.CreateDate = now
	}
	if a.AuditInfo.UpdateDate.IsZero() {
		a.AuditInfo.UpdateDate = now
	}
	if a.Notes == nil {
		a.Notes = []any{}
	}
	return e.store.putAccount(a)
}

// UpdateAccount changes an account as a storefront or admin edit would,
// bumping its updateDate; false if there is no such account.
func (e *Emulator) UpdateAccount(id int, change func(*Account)) (Account, bool) {
	now := msNow(e.opts.Now)
	return e.store.updateAccount(id, func(a *Account) {
		change(a)
		a.AuditInfo.UpdateDate = now
	})
}

// SetActive enables or disables an account (Kibo's Enable/DisableAccount actions).
func (e *Emulator) SetActive(id int, active bool) (Account, bool) {
	return e.UpdateAccount(id, func(a *Account) { a.IsActive = active })
}

// Account returns one account.
func (e *Emulator) Account(id int) (Account, bool) { return e.store.account(id) }

// Accounts returns every account by ID.
func (e *Emulator) Accounts() []Account { return e.store.allAccounts() }

// AddOrder stores an order (its dates default to now) and updates its
// account's commerce summary.
func (e *Emulator) AddOrder(o Order) Order {
	now := msNow(e.opts.Now)
	if o.SubmittedDate.IsZero() {
		o.SubmittedDate = now
	}
	if o.Status == "" {
		o.Status = "Completed"
	}
	if o.CurrencyCode == "" {
		o.CurrencyCode = "USD"
	}
	if o.Type == "" {
		o.Type = "Online"
	}
	o.SiteID = e.opts.SiteID
	o.AuditInfo = AuditInfo{CreateDate: now, UpdateDate: now}
	return e.store.putOrder(o)
}

// Refund records a refund of amount on an order; false if there is no such order.
func (e *Emulator) Refund(orderID string, amount float64) (Order, bool) {
	o, ok := e.store.order(orderID)
	if !ok {
		return Order{}, false
	}
	o.AmountRefunded = math.Min(o.Total, o.AmountRefunded+amount)
	o.TotalCollected = o.Total - o.AmountRefunded
	o.AuditInfo.UpdateDate = msNow(e.opts.Now)
	return e.store.putOrder(o), true
}

// ExpireTickets makes every issued access token expired, as time passing would.
func (e *Emulator) ExpireTickets() {
	e.tickets.mu.Lock()
	defer e.tickets.mu.Unlock()
	past := e.opts.Now().Add(-time.Second)
	for _, tk := range e.tickets.byAccess {
		tk.AccessTokenExpiration = past
	}
}

// TicketStats reports how many tickets were issued and refreshed.
func (e *Emulator) TicketStats() (issued, refreshed int) {
	e.tickets.mu.Lock()
	defer e.tickets.mu.Unlock()
	return e.tickets.issued, e.tickets.refreshed
}

// AccountsWithEmail returns the accounts whose email matches, ignoring case.
func (e *Emulator) AccountsWithEmail(email string) []Account {
	var out []Account
	for _, a := range e.store.allAccounts() {
		if strings.EqualFold(strings.TrimSpace(a.EmailAddress), strings.TrimSpace(email)) {
			out = append(out, a)
		}
	}
	return out
}

// OrdersOf returns an account's orders.
func (e *Emulator) OrdersOf(accountID int) []Order {
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	var out []Order
	for _, id := range e.store.byAccount[accountID] {
		out = append(out, *e.store.orders[id])
	}
	return out
}
