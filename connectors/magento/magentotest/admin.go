package magentotest

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// adminRoutes adds the emulator's own /_sandbox/ endpoints:
//
//	POST   /_sandbox/generate                    {"count":N,"seed":S}
//	GET    /_sandbox/state                       counts and options
//	PUT    /_sandbox/options                     Options (paging, bearer, input limits, legacy, ...)
//	POST   /_sandbox/customers                   {"customer":{...},"subscribed":bool} create (no id) or replace
//	GET    /_sandbox/customers/{id}              {"customer":{...},"subscribed":bool}
//	DELETE /_sandbox/customers/{id}
//	PUT    /_sandbox/customers/{id}/subscription {"subscribed":bool} (a storefront newsletter change)
//	POST   /_sandbox/orders                      an order (customer_id null for a guest)
//	POST   /_sandbox/orders/{id}/refunds         {"amount":x} (a credit memo)
//	POST   /_sandbox/revoke                      revoke the integration's tokens
//
// Magento Open Source sends no webhooks (research §2.5): changes are polled.
func (e *Emulator) adminRoutes() {
	s := e.srv
	s.HandleAdmin("POST /_sandbox/generate", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Count int    `json:"count"`
			Seed  uint64 `json:"seed"`
		}
		if !decode(w, r, &in) {
			return
		}
		if in.Count < 0 || in.Count > 1_000_000 {
			adminError(w, http.StatusBadRequest, "count must be between 0 and 1000000")
			return
		}
		e.Generate(in.Count, in.Seed)
		e.writeState(w)
	})
	s.HandleAdmin("GET /_sandbox/state", func(w http.ResponseWriter, _ *http.Request) { e.writeState(w) })
	s.HandleAdmin("PUT /_sandbox/options", func(w http.ResponseWriter, r *http.Request) {
		var o Options
		if !decode(w, r, &o) {
			return
		}
		o.Now = e.options().Now
		e.SetOptions(o)
		e.writeState(w)
	})
	s.HandleAdmin("POST /_sandbox/customers", func(w http.ResponseWriter, r *http.Request) {
		var in CustomerState
		if !decode(w, r, &in) {
			return
		}
		c, err := e.UpsertCustomer(in.Customer, in.Subscribed)
		if err != nil {
			adminError(w, http.StatusNotFound, err.Error())
			return
		}
		sandbox.WriteJSON(w, http.StatusOK, CustomerState{Customer: c, Subscribed: in.Subscribed})
	})
	s.HandleAdmin("GET /_sandbox/customers/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		c, ok := e.Customer(id)
		if !ok {
			adminError(w, http.StatusNotFound, "customer "+r.PathValue("id")+" not found")
			return
		}
		sandbox.WriteJSON(w, http.StatusOK, c)
	})
	s.HandleAdmin("DELETE /_sandbox/customers/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if !e.DeleteCustomer(id) {
			adminError(w, http.StatusNotFound, "customer "+r.PathValue("id")+" not found")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	s.HandleAdmin("PUT /_sandbox/customers/{id}/subscription", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Subscribed bool `json:"subscribed"`
		}
		if !decode(w, r, &in) {
			return
		}
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err := e.SetSubscribed(id, in.Subscribed); err != nil {
			adminError(w, http.StatusNotFound, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	s.HandleAdmin("POST /_sandbox/orders", func(w http.ResponseWriter, r *http.Request) {
		var o Order
		if !decode(w, r, &o) {
			return
		}
		if o.CustomerEmail == "" || o.GrandTotal < 0 {
			adminError(w, http.StatusBadRequest, "order needs customer_email and a grand_total of at least 0")
			return
		}
		sandbox.WriteJSON(w, http.StatusOK, e.AddOrder(o))
	})
	s.HandleAdmin("POST /_sandbox/orders/{id}/refunds", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Amount float64 `json:"amount"`
		}
		if !decode(w, r, &in) {
			return
		}
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		o, err := e.RefundOrder(id, in.Amount)
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		sandbox.WriteJSON(w, http.StatusOK, o)
	})
	s.HandleAdmin("POST /_sandbox/revoke", func(w http.ResponseWriter, _ *http.Request) {
		e.Revoke()
		w.WriteHeader(http.StatusNoContent)
	})
}

func (e *Emulator) writeState(w http.ResponseWriter) {
	e.mu.RLock()
	state := map[string]any{"customers": len(e.customers.byID), "orders": len(e.orders.byID), "options": e.opts, "revoked": e.revoked}
	e.mu.RUnlock()
	sandbox.WriteJSON(w, http.StatusOK, state)
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		adminError(w, http.StatusBadRequest, "request body: "+err.Error())
		return false
	}
	return true
}

func adminError(w http.ResponseWriter, status int, msg string) {
	sandbox.WriteJSON(w, status, map[string]string{"error": msg})
}
