// Package magentotest emulates the Magento 2 / Adobe Commerce REST API for
// tests and the sandbox: customers/search and orders with searchCriteria
// (snake and camel case, OR within a group, AND across groups, every
// condition type), the legacy paging quirk (a page past the end repeats
// the last page), is_subscribed as an extension attribute, PUT of a full
// customer, integration Bearer tokens (off by default, as since 2.4.4),
// OAuth 1.0a signatures (HMAC-SHA256 and HMAC-SHA1, with nonce and
// timestamp checks), admin tokens with a 4 h lifetime, and Magento's error
// bodies with %-placeholders. It is written from the research notes and the
// vendor's OpenAPI document, never from our connector.
package magentotest

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// Paging modes for a page past the last one.
const (
	// PagingClamp returns the last page again (Magento before 2.4.x).
	PagingClamp = "clamp"
	// PagingEmpty returns no items (2.4.x).
	PagingEmpty = "empty"
)

// Options are the store's switches; PUT /_sandbox/options changes them.
type Options struct {
	// StoreCode of the store view (default "default"); "all" and an omitted code are accepted too.
	StoreCode string `json:"storeCode"`
	// StoreName is the store view's name (default "Default Store View").
	StoreName string `json:"storeName"`
	// BearerAllowed accepts the integration access token as a Bearer token
	// (oauth/consumer/enable_integration_as_bearer, off by default).
	BearerAllowed bool `json:"bearerAllowed"`
	// Paging is PagingClamp (default) or PagingEmpty.
	Paging string `json:"paging"`
	// InputLimits caps pageSize at 300 with a default of 20.
	InputLimits bool `json:"inputLimits"`
	// Legacy23 leaves is_subscribed out of search results (before the 2.3.x fix).
	Legacy23 bool `json:"legacy23"`
	// SubscriptionBumpsUpdatedAt makes newsletter changes touch updated_at
	// (by default they do not: the subscription lives in another table).
	SubscriptionBumpsUpdatedAt bool `json:"subscriptionBumpsUpdatedAt"`
	// HTMLFaults writes injected 429/5xx as an HTML page, as a WAF does.
	HTMLFaults bool `json:"htmlFaults"`
	// Now is the clock (default time.Now).
	Now func() time.Time `json:"-"`
}

// Integration credentials of the emulated store.
const (
	ConsumerKey       = "mg-consumer-key-4b1d2f9a8c7e6d5b"
	ConsumerSecret    = "mg-consumer-secret-9e8d7c6b5a4f3e2d"
	AccessToken       = "mg-access-token-1a2b3c4d5e6f7a8b"
	AccessTokenSecret = "mg-access-secret-8f7e6d5c4b3a2918"
	AdminUser         = "admin"
	AdminPassword     = "admin123"
	consumerID        = 1
)

// Emulator is an in-memory Magento store.
type Emulator struct {
	srv *sandbox.Server

	mu        sync.RWMutex
	opts      Options
	customers *table[*customerRow]
	orders    *table[*orderRow]
	nextCust  int64
	nextOrder int64
	revoked   bool
	admin     map[string]time.Time // admin token → expiry
	nonces    map[string]time.Time // oauth nonce → when seen
}

// New returns an empty store.
func New(o Options) *Emulator {
	e := &Emulator{}
	e.setOptions(o)
	e.clear()
	e.srv = sandbox.NewServer(http.HandlerFunc(e.serveAPI),
		sandbox.WithErrorBody(e.writeFault),
		sandbox.WithRequestKey(routeKey),
		sandbox.WithReset(func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.clear()
		}))
	e.adminRoutes()
	return e
}

func (e *Emulator) clear() {
	e.customers = newTable[*customerRow]("email")
	e.orders = newTable[*orderRow]("customer_id", "customer_email")
	e.nextCust, e.nextOrder = 0, 0
	e.revoked = false
	e.admin, e.nonces = map[string]time.Time{}, map[string]time.Time{}
}

func (e *Emulator) setOptions(o Options) {
	if o.StoreCode == "" {
		o.StoreCode = "default"
	}
	if o.StoreName == "" {
		o.StoreName = "Default Store View"
	}
	if o.Paging != PagingEmpty {
		o.Paging = PagingClamp
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e.opts = o
}

func (e *Emulator) options() Options {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.opts
}

// SetOptions changes the store's switches.
func (e *Emulator) SetOptions(o Options) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setOptions(o)
}

// Handler serves the REST API and the /_sandbox/ admin endpoints.
func (e *Emulator) Handler() http.Handler { return e.srv }

// Server is the sandbox server (faults, request counts).
func (e *Emulator) Server() *sandbox.Server { return e.srv }

// Credentials is a Secret's data for OAuth 1.0a signing.
func (e *Emulator) Credentials() map[string][]byte {
	return map[string][]byte{"consumer-key": []byte(ConsumerKey), "consumer-secret": []byte(ConsumerSecret),
		"access-token": []byte(AccessToken), "access-token-secret": []byte(AccessTokenSecret)}
}

// BearerCredentials is a Secret's data for the integration token used as
// a Bearer token (accepted only with Options.BearerAllowed).
func (e *Emulator) BearerCredentials() map[string][]byte {
	return map[string][]byte{"access-token": []byte(AccessToken)}
}

// Revoke revokes the integration: every token it issued now gets a 401.
func (e *Emulator) Revoke() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.revoked = true
}

func (e *Emulator) now() time.Time { return e.opts.Now().UTC().Truncate(time.Second) }

// Generate adds n customers made by the shared generator, with two years
// of orders: some placed as a guest before registering, some canceled,
// some partly refunded; and a few orders of guests who never registered.
func (e *Emulator) Generate(n int, seed uint64) {
	o := sandbox.DefaultGenOptions()
	o.Seed = seed
	o.Now = e.options().Now().UTC().Truncate(time.Second)
	people := sandbox.People(n, o)
	e.mu.Lock()
	defer e.mu.Unlock()
	var custs []*customerRow
	var orders []*orderRow
	addOrder := func(o Order) { orders = append(orders, &orderRow{o: e.newOrder(o)}) }
	for _, p := range people {
		e.nextCust++
		id := e.nextCust
		group := 1 // General
		if p.Company != "" {
			group = 2 // Wholesale
		}
		updated := p.Created.Add(p.Updated.Sub(p.Created) / 3)
		c := Customer{ID: id, GroupID: group, CreatedAt: stamp(p.Created), UpdatedAt: stamp(updated),
			CreatedIn: e.opts.StoreName, Email: p.Email, Firstname: p.FirstName, Lastname: p.LastName, StoreID: 1, WebsiteID: 1,
			DefaultBilling: fmt.Sprint(id), DefaultShipping: fmt.Sprint(id),
			Addresses: []Address{{ID: id, CustomerID: id, Region: &Region{RegionCode: p.Region, Region: p.Region, RegionID: 12},
				RegionID: 12, CountryID: p.Country, Street: []string{p.Street}, Company: p.Company, Telephone: p.Phone,
				Postcode: p.PostalCode, City: p.City, Firstname: p.FirstName, Lastname: p.LastName,
				DefaultShipping: true, DefaultBilling: true}}}
		if !p.Active { // account awaiting email confirmation: cannot sign in
			c.Confirmation = fmt.Sprintf("%032x", uint64(id)*2654435761)
		}
		custs = append(custs, &customerRow{c: c, subscribed: p.Subscribed})
		for i, po := range p.Orders {
			ord := Order{CustomerEmail: p.Email, CustomerFirstname: p.FirstName, CustomerLastname: p.LastName,
				CreatedAt: stamp(po.Date), UpdatedAt: stamp(po.Date), GrandTotal: po.Amount, State: "complete", Status: "complete"}
			if i%13 != 5 { // every 13th order was placed as a guest
				cid := id
				ord.CustomerID = &cid
			}
			switch {
			case i%11 == 7:
				ord.State, ord.Status = "canceled", "canceled"
			case i%9 == 4:
				ord.TotalRefunded = float64(int(po.Amount*30)) / 100
				ord.UpdatedAt = stamp(po.Date.Add(72 * time.Hour))
			}
			addOrder(ord)
		}
		if p.N%50 == 49 {
			addOrder(Order{CustomerEmail: fmt.Sprintf("guest%d@example.net", p.N), CreatedAt: stamp(p.Created),
				UpdatedAt: stamp(p.Created), GrandTotal: 19.99, State: "complete", Status: "complete"})
		}
	}
	e.customers.load(custs)
	e.orders.load(orders)
}

// addOrder stores a new order.
func (e *Emulator) addOrder(o Order) Order {
	o = e.newOrder(o)
	e.orders.put(&orderRow{o: o})
	return o
}

// newOrder fills an order's ID, increment ID, totals and an item.
func (e *Emulator) newOrder(o Order) Order {
	e.nextOrder++
	o.EntityID = e.nextOrder
	o.IncrementID = fmt.Sprintf("%09d", 100000000+o.EntityID)
	if o.CustomerID == nil {
		o.CustomerIsGuest = 1
	}
	if o.CreatedAt == "" {
		o.CreatedAt = stamp(e.now())
	}
	if o.UpdatedAt == "" {
		o.UpdatedAt = o.CreatedAt
	}
	if o.State == "" {
		o.State, o.Status = "processing", "processing"
	}
	o.BaseGrandTotal = o.GrandTotal
	o.BaseTotalRefunded = o.TotalRefunded
	if o.State != "canceled" {
		o.TotalPaid = o.GrandTotal
	}
	o.StoreID, o.OrderCurrencyCode = 1, "USD"
	if len(o.Items) == 0 {
		o.Items = []OrderItem{{ItemID: o.EntityID, SKU: "MS-TEE-01", Name: "Logo tee", QtyOrdered: 1, Price: o.GrandTotal, RowTotal: o.GrandTotal}}
	}
	return o
}

// UpsertCustomer creates (ID 0) or replaces a customer, as a save in the
// admin does: updated_at becomes now.
func (e *Emulator) UpsertCustomer(c Customer, subscribed bool) (Customer, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := stamp(e.now())
	if c.ID == 0 {
		e.nextCust++
		c.ID = e.nextCust
		c.CreatedAt = now
	} else if old, ok := e.customers.byID[c.ID]; ok {
		c.CreatedAt = old.c.CreatedAt
	} else {
		return Customer{}, fmt.Errorf("customer %d not found", c.ID)
	}
	if c.WebsiteID == 0 {
		c.WebsiteID, c.StoreID = 1, 1
	}
	c.UpdatedAt = now
	c.ExtensionAttributes = nil
	e.customers.put(&customerRow{c: c, subscribed: subscribed})
	return c, nil
}

// DeleteCustomer removes a customer (Magento deletes rows outright).
func (e *Emulator) DeleteCustomer(id int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.customers.byID[id]
	e.customers.remove(id)
	return ok
}

// SetSubscribed changes a newsletter subscription, as a customer does from
// the storefront: updated_at is left alone unless SubscriptionBumpsUpdatedAt.
func (e *Emulator) SetSubscribed(id int64, subscribed bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.customers.byID[id]
	if !ok {
		return fmt.Errorf("customer %d not found", id)
	}
	next := &customerRow{c: r.c, subscribed: subscribed}
	if e.opts.SubscriptionBumpsUpdatedAt {
		next.c.UpdatedAt = stamp(e.now())
	}
	e.customers.put(next)
	return nil
}

// AddOrder places an order now (CreatedAt empty) or at its CreatedAt.
func (e *Emulator) AddOrder(o Order) Order {
	e.mu.Lock()
	defer e.mu.Unlock()
	o.UpdatedAt = ""
	return e.addOrder(o)
}

// RefundOrder refunds part of an order (a credit memo): total_refunded
// grows and updated_at becomes now.
func (e *Emulator) RefundOrder(id int64, amount float64) (Order, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.orders.byID[id]
	if !ok {
		return Order{}, fmt.Errorf("order %d not found", id)
	}
	o := r.o
	if amount <= 0 || o.TotalRefunded+amount > o.GrandTotal+1e-9 {
		return Order{}, fmt.Errorf("refund %.2f of order %d is outside (0, %.2f]", amount, id, o.GrandTotal-o.TotalRefunded)
	}
	o.TotalRefunded += amount
	o.BaseTotalRefunded = o.TotalRefunded
	o.UpdatedAt = stamp(e.now())
	if o.TotalRefunded >= o.GrandTotal {
		o.State, o.Status = "closed", "closed"
	}
	e.orders.put(&orderRow{o: o})
	return o, nil
}

// CustomerState is a stored customer with its subscription.
type CustomerState struct {
	Customer   Customer `json:"customer"`
	Subscribed bool     `json:"subscribed"`
}

// Customer returns one customer.
func (e *Emulator) Customer(id int64) (CustomerState, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	r, ok := e.customers.byID[id]
	if !ok {
		return CustomerState{}, false
	}
	return CustomerState{Customer: r.c, Subscribed: r.subscribed}, true
}

// Customers returns every customer, by ID.
func (e *Emulator) Customers() []CustomerState {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]CustomerState, 0, len(e.customers.byID))
	for _, r := range e.customers.byID {
		out = append(out, CustomerState{Customer: r.c, Subscribed: r.subscribed})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Customer.ID < out[j].Customer.ID })
	return out
}

// Orders returns every order, by ID.
func (e *Emulator) Orders() []Order {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Order, 0, len(e.orders.byID))
	for _, r := range e.orders.byID {
		out = append(out, r.o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].EntityID < out[j].EntityID })
	return out
}
