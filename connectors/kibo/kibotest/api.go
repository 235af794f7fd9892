package kibotest

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/contactsync/contactsync/internal/sandbox"
)

const (
	defaultPageSize = 20
	maxPageSize     = 200
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (e *Emulator) routes() {
	const tickets = "/api/platform/applications/authtickets"
	e.mux.HandleFunc("POST "+tickets, e.createTicket)
	e.mux.HandleFunc("PUT "+tickets+"/refresh-ticket", e.refreshTicket)
	e.mux.HandleFunc("DELETE "+tickets+"/{refreshToken}", e.deleteTicket)
	e.mux.HandleFunc("POST "+tickets+"/oauth", e.oauthToken)
	e.mux.HandleFunc("GET /api/commerce/customer/accounts", e.authed(e.listAccounts))
	e.mux.HandleFunc("GET /api/commerce/customer/accounts/{accountId}", e.authed(e.getAccount))
	e.mux.HandleFunc("PUT /api/commerce/customer/accounts/{accountId}", e.authed(e.putAccount))
	e.mux.HandleFunc("GET /api/commerce/orders", e.authed(e.listOrders))
	e.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "ITEM_NOT_FOUND", "Platform", "No route for "+r.Method+" "+r.URL.Path)
	})
}

func (e *Emulator) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if e.authorized(w, r) {
			h(w, r)
		}
	}
}

// paging reads startIndex (an item offset) and pageSize (default 20, max
// 200: clamped, or refused with RejectOversizePage).
func (e *Emulator) paging(w http.ResponseWriter, r *http.Request, app string) (start, size int, ok bool) {
	q := r.URL.Query()
	start, err := atoiDefault(q.Get("startIndex"), 0)
	if err != nil || start < 0 {
		writeError(w, http.StatusBadRequest, "VALIDATION_CONFLICT", app, "startIndex must be a non-negative integer")
		return 0, 0, false
	}
	size, err = atoiDefault(q.Get("pageSize"), defaultPageSize)
	if err != nil || size < 1 {
		writeError(w, http.StatusBadRequest, "VALIDATION_CONFLICT", app, "pageSize must be a positive integer")
		return 0, 0, false
	}
	if size > maxPageSize {
		if e.opts.RejectOversizePage {
			writeError(w, http.StatusBadRequest, "VALIDATION_CONFLICT", app, "pageSize must be at most 200")
			return 0, 0, false
		}
		size = maxPageSize
	}
	return start, size, true
}

// page cuts one page out of a result and wraps it in Kibo's envelope.
func page[T any](all []*T, start, size int) Collection[T] {
	c := Collection[T]{StartIndex: start, PageSize: size, TotalCount: len(all), Items: []T{}}
	c.PageCount = (len(all) + size - 1) / size
	for i := start; i < len(all) && i < start+size; i++ {
		c.Items = append(c.Items, *all[i])
	}
	return c
}

// GET /api/commerce/customer/accounts?startIndex&pageSize&sortBy&filter
// (responseFields, responseGroups and q are accepted and ignored).
func (e *Emulator) listAccounts(w http.ResponseWriter, r *http.Request) {
	start, size, ok := e.paging(w, r, "Customer")
	if !ok {
		return
	}
	q := r.URL.Query()
	all, err := e.store.queryAccounts(q.Get("filter"), q.Get("sortBy"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "VALIDATION_CONFLICT", "Customer", err.Error())
		return
	}
	sandbox.WriteJSON(w, http.StatusOK, page(all, start, size))
}

func (e *Emulator) accountID(w http.ResponseWriter, r *http.Request) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("accountId"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "VALIDATION_CONFLICT", "Customer", "accountId must be an integer")
		return 0, false
	}
	return id, true
}

func notFound(w http.ResponseWriter, id int) {
	writeError(w, http.StatusNotFound, "ITEM_NOT_FOUND", "Customer", "Customer account "+strconv.Itoa(id)+" not found")
}

// GET /api/commerce/customer/accounts/{accountId}
func (e *Emulator) getAccount(w http.ResponseWriter, r *http.Request) {
	id, ok := e.accountID(w, r)
	if !ok {
		return
	}
	a, found := e.store.account(id)
	if !found {
		notFound(w, id)
		return
	}
	sandbox.WriteJSON(w, http.StatusOK, a)
}

// PUT /api/commerce/customer/accounts/{accountId}: updates the writable
// fields. isActive is ignored (Kibo wants the DisableAccount action), the
// commerce summary and audit info are the server's, updateDate is bumped.
func (e *Emulator) putAccount(w http.ResponseWriter, r *http.Request) {
	id, ok := e.accountID(w, r)
	if !ok {
		return
	}
	var in Account
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "VALIDATION_CONFLICT", "Customer", "body is not a CustomerAccount: "+err.Error())
		return
	}
	if in.ID != 0 && in.ID != id {
		writeError(w, http.StatusBadRequest, "VALIDATION_CONFLICT", "Customer", "body id does not match the path")
		return
	}
	now := msNow(e.opts.Now)
	a, found := e.store.updateAccount(id, func(a *Account) {
		keep := *a
		*a = in
		a.IsActive = keep.IsActive
		a.CommerceSummary = keep.CommerceSummary
		a.AuditInfo = keep.AuditInfo
		a.AuditInfo.UpdateDate = now
		a.AuditInfo.UpdateBy = "application"
	})
	if !found {
		notFound(w, id)
		return
	}
	sandbox.WriteJSON(w, http.StatusOK, a)
}

// GET /api/commerce/orders?startIndex&pageSize&sortBy&filter
func (e *Emulator) listOrders(w http.ResponseWriter, r *http.Request) {
	start, size, ok := e.paging(w, r, "Commerce")
	if !ok {
		return
	}
	q := r.URL.Query()
	all, err := e.store.queryOrders(q.Get("filter"), q.Get("sortBy"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "VALIDATION_CONFLICT", "Commerce", err.Error())
		return
	}
	sandbox.WriteJSON(w, http.StatusOK, page(all, start, size))
}
