package kibotest

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// adminRoutes adds the Kibo emulator's own /_sandbox/ endpoints:
//
//	POST /_sandbox/generate                {"count":N,"seed":S}   replace the data with generated accounts
//	POST /_sandbox/accounts                Account                create or replace one (dates as given, else now)
//	POST /_sandbox/accounts/{id}/active    {"active":bool}        enable or disable (bumps updateDate)
//	POST /_sandbox/orders                  Order                  add an order (updates commerceSummary)
//	POST /_sandbox/orders/{id}/refund      {"amount":X}           refund part of an order
//	GET  /_sandbox/accounts/{id}                                  one account
//	GET  /_sandbox/state                                          counts, tickets, event deliveries
//	POST /_sandbox/tickets/expire                                 expire every access token
//	POST /_sandbox/webhooks                {"url","topic","entityId"}  send a signed event
func (e *Emulator) adminRoutes() {
	s := e.server
	s.HandleGenerate(func(count int, seed uint64) any {
		return map[string]int{"accounts": count, "orders": e.Generate(count, seed)}
	})
	s.HandleAdmin("POST /_sandbox/accounts", func(w http.ResponseWriter, r *http.Request) {
		var a Account
		if decode(w, r, &a) {
			sandbox.WriteJSON(w, http.StatusOK, e.PutAccount(a))
		}
	})
	s.HandleAdmin("GET /_sandbox/accounts/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		a, ok := e.Account(id)
		if err != nil || !ok {
			writeError(w, http.StatusNotFound, "ITEM_NOT_FOUND", "Sandbox", "no account "+r.PathValue("id"))
			return
		}
		sandbox.WriteJSON(w, http.StatusOK, a)
	})
	s.HandleAdmin("POST /_sandbox/accounts/{id}/active", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Active bool `json:"active"`
		}
		if !decode(w, r, &in) {
			return
		}
		id, err := strconv.Atoi(r.PathValue("id"))
		a, ok := e.SetActive(id, in.Active)
		if err != nil || !ok {
			writeError(w, http.StatusNotFound, "ITEM_NOT_FOUND", "Sandbox", "no account "+r.PathValue("id"))
			return
		}
		sandbox.WriteJSON(w, http.StatusOK, a)
	})
	s.HandleAdmin("POST /_sandbox/orders", func(w http.ResponseWriter, r *http.Request) {
		var o Order
		if decode(w, r, &o) {
			sandbox.WriteJSON(w, http.StatusOK, e.AddOrder(o))
		}
	})
	s.HandleAdmin("POST /_sandbox/orders/{id}/refund", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Amount float64 `json:"amount"`
		}
		if !decode(w, r, &in) {
			return
		}
		if in.Amount <= 0 {
			badRequest(w, "amount must be positive")
			return
		}
		o, ok := e.Refund(r.PathValue("id"), in.Amount)
		if !ok {
			writeError(w, http.StatusNotFound, "ITEM_NOT_FOUND", "Sandbox", "no order "+r.PathValue("id"))
			return
		}
		sandbox.WriteJSON(w, http.StatusOK, o)
	})
	s.HandleAdmin("GET /_sandbox/state", func(w http.ResponseWriter, _ *http.Request) {
		accounts, orders := e.store.counts()
		issued, refreshed := e.TicketStats()
		sandbox.WriteJSON(w, http.StatusOK, map[string]any{
			"tenantId": e.opts.TenantID, "siteId": e.opts.SiteID,
			"accounts": accounts, "orders": orders,
			"ticketsIssued": issued, "ticketsRefreshed": refreshed,
			"deliveries": e.Deliveries(),
		})
	})
	s.HandleAdmin("POST /_sandbox/tickets/expire", func(w http.ResponseWriter, _ *http.Request) {
		e.ExpireTickets()
		w.WriteHeader(http.StatusNoContent)
	})
	s.HandleAdmin("POST /_sandbox/webhooks", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			URL      string `json:"url"`
			Topic    string `json:"topic"`
			EntityID string `json:"entityId"`
		}
		if !decode(w, r, &in) {
			return
		}
		if in.URL == "" {
			badRequest(w, "url is required")
			return
		}
		if in.Topic == "" {
			in.Topic = "customeraccount.updated"
		}
		d, err := e.SendWebhook(r.Context(), in.URL, in.Topic, in.EntityID)
		if err != nil {
			writeError(w, http.StatusBadGateway, "DELIVERY_FAILED", "Sandbox", err.Error())
			return
		}
		sandbox.WriteJSON(w, http.StatusOK, map[string]any{"deliveries": d})
	})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		badRequest(w, "body: "+err.Error())
		return false
	}
	return true
}

func badRequest(w http.ResponseWriter, msg string) {
	writeError(w, http.StatusBadRequest, "VALIDATION_CONFLICT", "Sandbox", msg)
}
