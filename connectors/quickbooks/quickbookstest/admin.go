package quickbookstest

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// adminRoutes adds the emulator's own /_sandbox/ endpoints:
//
//	POST /_sandbox/generate                 {"count":N,"seed":S}: generated customers and transactions
//	GET  /_sandbox/customers                every customer; GET /_sandbox/customers/{id} one
//	POST /_sandbox/customers                create or replace a Customer (no SyncToken check)
//	POST /_sandbox/customers/{id}/active    {"active":false} deactivates
//	POST /_sandbox/customers/{id}/merge     {"into":"7"}
//	POST /_sandbox/transactions             {"entity":"Invoice","customerId":"1","date":"2025-01-31","amount":12.5}
//	POST /_sandbox/transactions/{entity}/{id}/void, DELETE /_sandbox/transactions/{entity}/{id}
//	GET  /_sandbox/state                    counts, pending webhook events and the emulated time
//	POST /_sandbox/clock                    {"advance":"24h"}
//	POST /_sandbox/webhooks                 {"url":…,"format":"legacy"|"cloudevents","events":[…]}: signed delivery
//	GET  /_sandbox/credentials              the Secret data that connects to this emulator
//	POST /_sandbox/tokens/revoke, POST /_sandbox/tokens/expire
func (e *Emulator) adminRoutes() {
	s := e.server
	s.HandleGenerate(func(count int, seed uint64) any {
		return map[string]int{"customers": e.Generate(count, seed)}
	})
	s.HandleAdmin("GET /_sandbox/customers", func(w http.ResponseWriter, _ *http.Request) {
		sandbox.WriteJSON(w, http.StatusOK, e.Customers())
	})
	s.HandleAdmin("GET /_sandbox/customers/{id}", func(w http.ResponseWriter, r *http.Request) {
		c, ok := e.Customer(r.PathValue("id"))
		if !ok {
			writeDataError(w, notFound(EntityCustomer, r.PathValue("id")))
			return
		}
		sandbox.WriteJSON(w, http.StatusOK, c)
	})
	s.HandleAdmin("POST /_sandbox/customers", func(w http.ResponseWriter, r *http.Request) {
		var c Customer
		if !decode(w, r, &c) {
			return
		}
		v, err := e.UpsertCustomer(c)
		respond(w, v, err)
	})
	s.HandleAdmin("POST /_sandbox/customers/{id}/active", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Active *bool `json:"active"`
		}
		if !decode(w, r, &in) {
			return
		}
		if in.Active == nil {
			badRequest(w, "customers/"+r.PathValue("id")+"/active: field active is required")
			return
		}
		v, err := e.SetActive(r.PathValue("id"), *in.Active)
		respond(w, v, err)
	})
	s.HandleAdmin("POST /_sandbox/customers/{id}/merge", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Into string `json:"into"`
		}
		if !decode(w, r, &in) {
			return
		}
		respond(w, struct{}{}, e.MergeCustomer(r.PathValue("id"), in.Into))
	})
	s.HandleAdmin("POST /_sandbox/transactions", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Entity     string  `json:"entity"`
			CustomerID string  `json:"customerId"`
			Date       string  `json:"date"`
			Amount     float64 `json:"amount"`
		}
		if !decode(w, r, &in) {
			return
		}
		date, err := time.Parse(time.DateOnly, in.Date)
		if err != nil {
			badRequest(w, "transactions: field date must be YYYY-MM-DD")
			return
		}
		v, err := e.AddTransaction(in.Entity, in.CustomerID, date, in.Amount)
		respond(w, v, err)
	})
	s.HandleAdmin("POST /_sandbox/transactions/{entity}/{id}/void", func(w http.ResponseWriter, r *http.Request) {
		respond(w, struct{}{}, e.VoidTransaction(r.PathValue("entity"), r.PathValue("id")))
	})
	s.HandleAdmin("DELETE /_sandbox/transactions/{entity}/{id}", func(w http.ResponseWriter, r *http.Request) {
		respond(w, struct{}{}, e.DeleteTransaction(r.PathValue("entity"), r.PathValue("id")))
	})
	s.HandleAdmin("GET /_sandbox/state", func(w http.ResponseWriter, _ *http.Request) {
		sandbox.WriteJSON(w, http.StatusOK, e.State())
	})
	s.HandleAdmin("POST /_sandbox/clock", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Advance sandbox.Duration `json:"advance"`
		}
		if !decode(w, r, &in) {
			return
		}
		e.Advance(in.Advance.Duration)
		sandbox.WriteJSON(w, http.StatusOK, map[string]time.Time{"now": e.now()})
	})
	s.HandleAdmin("POST /_sandbox/webhooks", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			URL    string  `json:"url"`
			Format string  `json:"format"`
			Events []Event `json:"events"`
		}
		if !decode(w, r, &in) {
			return
		}
		if in.URL == "" {
			badRequest(w, "webhooks: field url is required")
			return
		}
		var status, n int
		var err error
		if len(in.Events) > 0 {
			status, err = e.SendEvents(r.Context(), in.URL, in.Format, in.Events)
			n = len(in.Events)
		} else {
			status, n, err = e.SendWebhook(r.Context(), in.URL, in.Format)
		}
		out := map[string]any{"status": status, "events": n}
		if err != nil {
			out["error"] = err.Error()
			sandbox.WriteJSON(w, http.StatusBadGateway, out)
			return
		}
		sandbox.WriteJSON(w, http.StatusOK, out)
	})
	s.HandleAdmin("GET /_sandbox/credentials", func(w http.ResponseWriter, _ *http.Request) {
		out := map[string]string{}
		for k, v := range e.Credentials() {
			out[k] = string(v)
		}
		out["realm-id"] = e.opts.RealmID
		sandbox.WriteJSON(w, http.StatusOK, out)
	})
	s.HandleAdmin("POST /_sandbox/tokens/revoke", func(w http.ResponseWriter, _ *http.Request) {
		e.RevokeTokens()
		w.WriteHeader(http.StatusNoContent)
	})
	s.HandleAdmin("POST /_sandbox/tokens/expire", func(w http.ResponseWriter, _ *http.Request) {
		e.ExpireAccessTokens()
		w.WriteHeader(http.StatusNoContent)
	})
}

// State summarises the emulated company.
type State struct {
	RealmID       string         `json:"realmId"`
	Now           time.Time      `json:"now"`
	Customers     int            `json:"customers"`
	Active        int            `json:"active"`
	Transactions  map[string]int `json:"transactions"`
	PendingEvents int            `json:"pendingEvents"`
}

// State returns counts of the emulated company.
func (e *Emulator) State() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := State{RealmID: e.opts.RealmID, Now: e.nowLocked(), Transactions: map[string]int{}, PendingEvents: len(e.events)}
	for _, r := range e.data.customers.byID {
		c := r.(*Customer)
		if c.Status == "Deleted" {
			continue
		}
		st.Customers++
		if c.IsActive() {
			st.Active++
		}
	}
	for _, entity := range transactionEntities {
		for _, r := range e.data.txns[entity].byID {
			if r.base().Status != "Deleted" {
				st.Transactions[entity]++
			}
		}
	}
	return st
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		badRequest(w, r.URL.Path+": invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func badRequest(w http.ResponseWriter, msg string) {
	sandbox.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
}

// respond writes a result or its error (Intuit's Fault for DataError).
func respond[T any](w http.ResponseWriter, v T, err error) {
	if err != nil {
		writeDataError(w, err)
		return
	}
	sandbox.WriteJSON(w, http.StatusOK, v)
}
