package flipcausetest

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// routes adds the emulator's admin endpoints:
//
//	POST /_sandbox/generate   {"count":N,"seed":S}           generated donors and transactions
//	POST /_sandbox/donors     Donor                          a new contact → {"cid":...}
//	POST /_sandbox/donations  {"cid":...,"amount":25}        → {"transactionID":...}
//	POST /_sandbox/refunds    {"cid":...,"transactionID":...} → {"transactionID":...}
//	GET  /_sandbox/state      donors, pending records, batches sent
//	POST /_sandbox/webhooks   {"url":...}                    flush the queue to url/<token>
//	GET  /_sandbox/export.csv the contact export (CSV columns of Flipcause's export)
func (e *Emulator) routes() {
	s := e.srv
	s.HandleGenerate(func(count int, seed uint64) any {
		e.Generate(count, seed)
		return map[string]int{"donors": len(e.Donors()), "pending": e.Pending()}
	})
	s.HandleAdmin("POST /_sandbox/donors", func(w http.ResponseWriter, r *http.Request) {
		var d Donor
		if !decode(w, r, &d) {
			return
		}
		if d.FirstName == "" && d.LastName == "" && d.Email == "" {
			badRequest(w, "donor needs firstName, lastName or email")
			return
		}
		sandbox.WriteJSON(w, http.StatusCreated, map[string]string{"cid": e.AddDonor(d)})
	})
	s.HandleAdmin("POST /_sandbox/donations", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			CID    string  `json:"cid"`
			Amount float64 `json:"amount"`
		}
		if !decode(w, r, &in) {
			return
		}
		id, err := e.Donate(in.CID, in.Amount)
		if err != nil {
			badRequest(w, err.Error())
			return
		}
		sandbox.WriteJSON(w, http.StatusCreated, map[string]string{"transactionID": id})
	})
	s.HandleAdmin("POST /_sandbox/refunds", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			CID           string `json:"cid"`
			TransactionID string `json:"transactionID"`
		}
		if !decode(w, r, &in) {
			return
		}
		id, err := e.Refund(in.CID, in.TransactionID)
		if err != nil {
			badRequest(w, err.Error())
			return
		}
		sandbox.WriteJSON(w, http.StatusCreated, map[string]string{"transactionID": id})
	})
	s.HandleAdmin("GET /_sandbox/state", func(w http.ResponseWriter, _ *http.Request) {
		e.mu.Lock()
		state := map[string]int{"donors": len(e.order), "pending": len(e.queue), "batchesSent": e.batches}
		e.mu.Unlock()
		sandbox.WriteJSON(w, http.StatusOK, state)
	})
	s.HandleAdmin("POST /_sandbox/webhooks", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			URL string `json:"url"`
		}
		if !decode(w, r, &in) {
			return
		}
		if !strings.HasPrefix(in.URL, "http://") && !strings.HasPrefix(in.URL, "https://") {
			badRequest(w, "url must be an http(s) URL")
			return
		}
		d, err := e.SendWebhooks(r.Context(), in.URL)
		if err != nil {
			sandbox.WriteJSON(w, http.StatusBadGateway, map[string]any{"error": err.Error(), "delivery": d})
			return
		}
		sandbox.WriteJSON(w, http.StatusOK, d)
	})
	s.HandleAdmin("GET /_sandbox/export.csv", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		_ = e.ExportCSV(csv.NewWriter(w))
	})
}

// ExportCSV writes the donors as Flipcause's contact export does (its
// columns, per research/sources.md §4.1), for backfill fixtures.
func (e *Emulator) ExportCSV(w *csv.Writer) error {
	_ = w.Write([]string{"First Name", "Last Name", "Business/Organization Name", "Email", "Address", "City",
		"State/Province", "Postal Code", "Country", "Primary Mobile/Home Number", "Tags", "All Time Donation Amount",
		"Largest Contribution Amount", "Largest Contribution Date"})
	for _, d := range e.Donors() {
		var total, largest float64
		var largestDate string
		for _, t := range d.Transactions {
			if t.Refund {
				total -= t.Amount
				continue
			}
			total += t.Amount
			if t.Amount > largest {
				largest, largestDate = t.Amount, t.Date.Format("2006-01-02")
			}
		}
		tags := ""
		if d.MailingList {
			tags = "Mailing List"
		}
		_ = w.Write([]string{d.FirstName, d.LastName, d.Business, d.Email, d.Street, d.City, d.State, d.Zip, d.Country,
			d.Phone, tags, fmt.Sprintf("%.2f", total), fmt.Sprintf("%.2f", largest), largestDate})
	}
	w.Flush()
	return w.Error()
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		badRequest(w, "request body: "+err.Error())
		return false
	}
	return true
}

func badRequest(w http.ResponseWriter, msg string) {
	sandbox.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
}
