package magentotest

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/contactsync/contactsync/internal/sandbox"
)

var idSegment = regexp.MustCompile(`/\d+(/|$)`)

// routeKey groups requests by route for /_sandbox/requests: the store code
// and IDs are dropped ("GET /V1/customers/{id}").
func routeKey(r *http.Request) string {
	_, rest := splitStore(r.URL.Path)
	return r.Method + " /" + idSegment.ReplaceAllString(rest, "/{id}$1")
}

// splitStore splits /rest/<store>/V1/... into the store code ("" when
// omitted) and the V1/... remainder.
func splitStore(path string) (store, rest string) {
	rest = strings.TrimPrefix(path, "/rest/")
	if first, after, ok := strings.Cut(rest, "/"); ok && first != "V1" {
		return first, after
	}
	return "", rest
}

func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/rest/") {
		errNoRoute.write(w)
		return
	}
	store, rest := splitStore(r.URL.Path)
	if store != "" && store != "all" && store != "default" && store != e.options().StoreCode {
		badRequest("The store that was requested wasn't found. Verify the store and try again.", nil).write(w)
		return
	}
	route := r.Method + " " + rest
	if route == "POST V1/integration/admin/token" {
		e.adminToken(w, r)
		return
	}
	var apiErr *apiError
	switch {
	case route == "GET V1/customers/search":
		apiErr = e.authorized(r, resourceCustom, func() *apiError { return e.searchCustomers(w, r) })
	case route == "GET V1/orders":
		apiErr = e.authorized(r, "Magento_Sales::actions_view", func() *apiError { return e.searchOrders(w, r) })
	case route == "GET V1/store/storeViews":
		apiErr = e.authorized(r, "Magento_Backend::store", func() *apiError { return e.storeViews(w) })
	case strings.HasPrefix(rest, "V1/customers/") && strings.Count(rest, "/") == 2 && (r.Method == http.MethodGet || r.Method == http.MethodPut):
		id := strings.TrimPrefix(rest, "V1/customers/")
		apiErr = e.authorized(r, resourceCustom, func() *apiError {
			if r.Method == http.MethodGet {
				return e.getCustomer(w, id)
			}
			return e.putCustomer(w, r, id)
		})
	default:
		apiErr = errNoRoute
	}
	if apiErr != nil {
		apiErr.write(w)
	}
}

func (e *Emulator) authorized(r *http.Request, resource string, next func() *apiError) *apiError {
	if err := e.authenticate(r, resource); err != nil {
		return err
	}
	return next()
}

func (e *Emulator) adminToken(w http.ResponseWriter, r *http.Request) {
	var in struct{ Username, Password string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil {
		badRequest("Decoding error: %1", []any{err.Error()}).write(w)
		return
	}
	tok, apiErr := e.issueAdminToken(in.Username, in.Password)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	sandbox.WriteJSON(w, http.StatusOK, tok) // a bare JSON string
}

// window applies pageSize and currentPage to n results: [start, end).
func window(opts Options, c criteria, n int) (start, end, pageSize, page int, err *apiError) {
	pageSize, page = c.PageSize, max(c.Page, 1)
	if opts.InputLimits {
		if pageSize == 0 {
			pageSize = 20
		}
		if pageSize > 300 {
			return 0, 0, 0, 0, badRequest("Maximum SearchCriteria pageSize is %max", map[string]any{"max": 300})
		}
	}
	if pageSize == 0 {
		return 0, n, 0, c.Page, nil
	}
	start = (page - 1) * pageSize
	if start >= n {
		if opts.Paging == PagingEmpty || n == 0 {
			return n, n, pageSize, page, nil
		}
		start = (n - 1) / pageSize * pageSize // the legacy collection clamps to the last page
	}
	return start, min(start+pageSize, n), pageSize, page, nil
}

func (e *Emulator) searchCustomers(w http.ResponseWriter, r *http.Request) *apiError {
	c, apiErr := parseCriteria(r.URL.Query())
	if apiErr != nil {
		return apiErr
	}
	opts := e.options() // before RLock: a nested RLock deadlocks behind a waiting writer
	e.mu.RLock()
	rows, apiErr := e.customers.search(c)
	legacy := opts.Legacy23
	var items []Customer
	start, end, size, page, werr := window(opts, c, len(rows))
	if apiErr == nil && werr == nil {
		items = make([]Customer, 0, end-start)
		for _, row := range rows[start:end] {
			items = append(items, row.out(!legacy))
		}
	}
	e.mu.RUnlock()
	if apiErr != nil {
		return apiErr
	}
	if werr != nil {
		return werr
	}
	sandbox.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "search_criteria": c.echo(size, page), "total_count": len(rows)})
	return nil
}

func (e *Emulator) searchOrders(w http.ResponseWriter, r *http.Request) *apiError {
	c, apiErr := parseCriteria(r.URL.Query())
	if apiErr != nil {
		return apiErr
	}
	opts := e.options()
	e.mu.RLock()
	rows, apiErr := e.orders.search(c)
	var items []Order
	start, end, size, page, werr := window(opts, c, len(rows))
	if apiErr == nil && werr == nil {
		items = make([]Order, 0, end-start)
		for _, row := range rows[start:end] {
			items = append(items, row.o)
		}
	}
	e.mu.RUnlock()
	if apiErr != nil {
		return apiErr
	}
	if werr != nil {
		return werr
	}
	sandbox.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "search_criteria": c.echo(size, page), "total_count": len(rows)})
	return nil
}

// out is the customer as the API writes it, with is_subscribed unless the
// store predates the search-results fix.
func (r *customerRow) out(withSubscription bool) Customer {
	c := r.c
	if withSubscription {
		sub := r.subscribed
		c.ExtensionAttributes = &CustomerExtension{IsSubscribed: &sub}
	}
	return c
}

func (e *Emulator) storeViews(w http.ResponseWriter) *apiError {
	o := e.options()
	sandbox.WriteJSON(w, http.StatusOK, []map[string]any{
		{"id": 0, "code": "admin", "name": "Admin", "website_id": 0, "store_group_id": 0, "is_active": 1},
		{"id": 1, "code": o.StoreCode, "name": o.StoreName, "website_id": 1, "store_group_id": 1, "is_active": 1},
	})
	return nil
}

func (e *Emulator) getCustomer(w http.ResponseWriter, rawID string) *apiError {
	id, err := strconv.ParseInt(rawID, 10, 64)
	e.mu.RLock()
	row, ok := e.customers.byID[id]
	e.mu.RUnlock()
	if err != nil || !ok {
		return noSuchEntity("customerId", rawID)
	}
	sandbox.WriteJSON(w, http.StatusOK, row.out(true))
	return nil
}

// putCustomer replaces the whole customer (addresses included: omitted
// addresses are removed), as PUT /V1/customers/{id} does.
func (e *Emulator) putCustomer(w http.ResponseWriter, r *http.Request, rawID string) *apiError {
	var in struct {
		Customer *Customer `json:"customer"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		return badRequest("Decoding error: %1", []any{err.Error()})
	}
	if in.Customer == nil {
		return badRequest("\"%fieldName\" is required. Enter and try again.", map[string]any{"fieldName": "customer"})
	}
	c := *in.Customer
	for _, f := range []struct{ name, v string }{{"email", c.Email}, {"firstname", c.Firstname}, {"lastname", c.Lastname}} {
		if strings.TrimSpace(f.v) == "" {
			return badRequest("\"%fieldName\" is required. Enter and try again.", map[string]any{"fieldName": f.name})
		}
	}
	id, err := strconv.ParseInt(rawID, 10, 64)
	e.mu.Lock()
	defer e.mu.Unlock()
	old, ok := e.customers.byID[id]
	if err != nil || !ok {
		return noSuchEntity("customerId", rawID)
	}
	for other := range e.customers.index["email"][strings.ToLower(c.Email)] {
		if other != id && e.customers.byID[other].c.WebsiteID == c.WebsiteID {
			return badRequest("A customer with the same email address already exists in an associated website.", nil)
		}
	}
	subscribed := old.subscribed
	if c.ExtensionAttributes != nil && c.ExtensionAttributes.IsSubscribed != nil {
		subscribed = *c.ExtensionAttributes.IsSubscribed
	}
	c.ID, c.CreatedAt, c.UpdatedAt, c.ExtensionAttributes = id, old.c.CreatedAt, stamp(e.now()), nil
	if c.WebsiteID == 0 {
		c.WebsiteID = old.c.WebsiteID
	}
	row := &customerRow{c: c, subscribed: subscribed}
	e.customers.put(row)
	sandbox.WriteJSON(w, http.StatusOK, row.out(true))
	return nil
}
