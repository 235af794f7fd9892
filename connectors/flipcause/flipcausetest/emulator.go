// Package flipcausetest emulates Flipcause for tests and the sandbox.
// Flipcause has no API: data leaves it through batched webhooks, sent from a
// queue at intervals, authenticated only by a secret token in the URL path
// (research/sources.md §4). The emulator is therefore a store of donors and
// transactions plus that sender. It is written from Flipcause's documentation,
// not from our connector.
package flipcausetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// Options configure an Emulator. Zero values take the defaults.
type Options struct {
	// Token is the secret path segment (default: a fixed 48-character token).
	Token string
	// BatchSize is the most records per webhook POST (default 50).
	BatchSize int
	// Duplicate sends every batch twice (Flipcause delivers at least once).
	Duplicate bool
	// Now is the clock for new transactions (default time.Now).
	Now func() time.Time
}

// Donor is a Flipcause contact (Activity Tracker record).
type Donor struct {
	CID          string        `json:"cid"`
	FirstName    string        `json:"firstName"`
	LastName     string        `json:"lastName"`
	Email        string        `json:"email"`
	Phone        string        `json:"phone,omitempty"`
	Business     string        `json:"business,omitempty"`
	Street       string        `json:"street,omitempty"`
	City         string        `json:"city,omitempty"`
	State        string        `json:"state,omitempty"`
	Zip          string        `json:"zip,omitempty"`
	Country      string        `json:"country,omitempty"`
	MailingList  bool          `json:"mailingList,omitempty"`
	Transactions []Transaction `json:"transactions,omitempty"`
}

// Transaction is a donation or a refund (a refund is a new transaction).
type Transaction struct {
	ID       string    `json:"id"`
	Date     time.Time `json:"date"`
	Amount   float64   `json:"amount"`
	Refund   bool      `json:"refund,omitempty"`
	Campaign string    `json:"campaign,omitempty"`
}

// Record is one webhook record: string fields only, as Flipcause sends them.
type Record map[string]string

// Emulator holds donors and the queue of webhook records not yet delivered.
type Emulator struct {
	opts Options
	srv  *sandbox.Server

	mu       sync.Mutex
	donors   map[string]*Donor
	order    []string
	queue    []Record
	nextRec  int
	nextTx   int
	nextCID  int
	batches  int
	received int
}

// New returns an empty emulator.
func New(o Options) *Emulator {
	if o.Token == "" {
		o.Token = "fc-sandbox-7Qm2xV9pLk4sT8wZr3NbYd6HjE5uGaCf"
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 50
	}
	if o.Now == nil {
		o.Now = func() time.Time { return time.Now().UTC() }
	}
	e := &Emulator{opts: o}
	e.clear()
	// Flipcause serves no API: every non-admin path is a 404.
	e.srv = sandbox.NewServer(http.NotFoundHandler(), sandbox.WithReset(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.clear()
	}))
	e.routes()
	return e
}

func (e *Emulator) clear() {
	e.donors, e.order, e.queue = map[string]*Donor{}, nil, nil
	e.nextRec, e.nextTx, e.nextCID, e.batches, e.received = 1000, 137000, 1000000, 0, 0
}

// Handler serves the admin endpoints.
func (e *Emulator) Handler() http.Handler { return e.srv }

// Server is the sandbox server (faults, request counts).
func (e *Emulator) Server() *sandbox.Server { return e.srv }

// Token is the secret path segment the webhooks carry.
func (e *Emulator) Token() string { return e.opts.Token }

// Credentials is the data of a Secret for a SourceConnection of this emulator.
func (e *Emulator) Credentials() map[string][]byte {
	return map[string][]byte{"webhook-token": []byte(e.opts.Token)}
}

// Generate adds n realistic donors from the shared generator: their orders
// become donations, a share of them refunded, and opted-in people sign up
// to the mailing list. Everything is queued for delivery.
func (e *Emulator) Generate(n int, seed uint64) {
	o := sandbox.DefaultGenOptions()
	o.Seed = seed
	o.Now = e.opts.Now().Truncate(time.Minute)
	people := sandbox.People(n, o)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range people {
		d := e.addDonor(Donor{FirstName: p.FirstName, LastName: p.LastName, Email: p.Email, Phone: p.Phone,
			Business: p.Company, Street: p.Street, City: p.City, State: p.Region, Zip: p.PostalCode, Country: p.Country,
			MailingList: p.Subscribed}, p.Created)
		for i, o := range p.Orders {
			tx := e.addTransaction(d, o.Amount, o.Date, false)
			if i%7 == 3 { // about one donation in seven is refunded later
				e.addTransaction(d, tx.Amount, o.Date.Add(48*time.Hour), true)
			}
		}
	}
}

// AddDonor creates a donor (a new contact) and returns its CID.
func (e *Emulator) AddDonor(d Donor) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addDonor(d, e.opts.Now()).CID
}

// Donate records a donation and returns its transaction ID.
func (e *Emulator) Donate(cid string, amount float64) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.donors[cid]
	if !ok {
		return "", fmt.Errorf("donor %q not found", cid)
	}
	if amount <= 0 {
		return "", fmt.Errorf("donation amount must be positive, got %v", amount)
	}
	return e.addTransaction(d, amount, e.opts.Now(), false).ID, nil
}

// Refund refunds a transaction: Flipcause sends it as a new transaction.
func (e *Emulator) Refund(cid, transactionID string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.donors[cid]
	if !ok {
		return "", fmt.Errorf("donor %q not found", cid)
	}
	for _, t := range d.Transactions {
		if t.ID == transactionID && !t.Refund {
			return e.addTransaction(d, t.Amount, e.opts.Now(), true).ID, nil
		}
	}
	return "", fmt.Errorf("donor %q has no donation %q", cid, transactionID)
}

// Donors returns a copy of every donor, in creation order.
func (e *Emulator) Donors() []Donor {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Donor, 0, len(e.order))
	for _, cid := range e.order {
		d := *e.donors[cid]
		d.Transactions = append([]Transaction(nil), d.Transactions...)
		out = append(out, d)
	}
	return out
}

// Pending is the number of records queued for delivery.
func (e *Emulator) Pending() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.queue)
}

func (e *Emulator) addDonor(d Donor, at time.Time) *Donor {
	e.nextCID++
	d.CID = fmt.Sprintf("CID638-%d", e.nextCID)
	d.Transactions = nil
	e.donors[d.CID] = &d
	e.order = append(e.order, d.CID)
	activity := "Contact"
	if d.MailingList {
		activity = "Mailing List"
	}
	e.enqueue(e.personal(&d, Record{"webhook_trigger_type": "new_activity", "activity_type": activity}, at))
	return &d
}

func (e *Emulator) addTransaction(d *Donor, amount float64, at time.Time, refund bool) Transaction {
	e.nextTx++
	t := Transaction{ID: fmt.Sprint(e.nextTx), Date: at.UTC(), Amount: amount, Refund: refund, Campaign: "Annual Fund"}
	d.Transactions = append(d.Transactions, t)
	activity, code := "Donation", "D"
	if refund {
		activity, code = "Refund", "RD"
	}
	base := Record{"activity_type": activity, "transaction_id": t.ID,
		"AD_transaction_id": "T1" + t.ID, "AD_payment_id": fmt.Sprintf("%s%d_A", code, 1000000+e.nextTx),
		"AD_campaign_title": t.Campaign, "AD_campaign_id": "4809"}
	amt := fmt.Sprintf("%.2f", amount)
	activityRec := e.personal(d, cloneWith(base, Record{"webhook_trigger_type": "new_activity", "AD_transaction_amount": amt}), at)
	if !refund {
		activityRec["DD_amount"] = amt
	}
	e.enqueue(activityRec)
	// The order-level record of the same transaction: one transaction, several webhooks.
	e.enqueue(e.personal(d, cloneWith(base, Record{"webhook_trigger_type": "new_transaction", "transaction_amount": amt}), at))
	return t
}

// personal adds the activity and personal (PD_) fields of a donor.
func (e *Emulator) personal(d *Donor, r Record, at time.Time) Record {
	kind := "Individual"
	if d.Business != "" {
		kind = "Business"
	}
	r["AD_contact_id"] = fmt.Sprintf("%s %s (%s)", d.FirstName, d.LastName, d.CID)
	r["AD_transaction_date"] = at.UTC().Format(time.DateOnly)
	r["AD_transaction_time"] = at.UTC().Format("15:04") + " " // Flipcause's trailing space
	r["AD_transaction_day"] = at.UTC().Weekday().String()
	r["PD_individual_or_bussiness"] = kind
	for k, v := range map[string]string{"PD_first_name": d.FirstName, "PD_last_name": d.LastName, "PD_email": d.Email,
		"PD_phone": d.Phone, "PD_business_name": d.Business, "PD_address": d.Street, "PD_city": d.City,
		"PD_state": d.State, "PD_zip": d.Zip, "PD_country": d.Country} {
		r[k] = v
	}
	return r
}

func (e *Emulator) enqueue(r Record) {
	e.nextRec++
	r["webhook_record_id"] = fmt.Sprint(e.nextRec)
	r["master_activity_auto_id"] = fmt.Sprint(176000 + e.nextRec)
	e.queue = append(e.queue, r)
}

func cloneWith(a, b Record) Record {
	out := make(Record, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// Delivery reports what SendWebhooks delivered.
type Delivery struct {
	Batches int `json:"batches"`
	Records int `json:"records"`
	Pending int `json:"pending"`
}

// SendWebhooks flushes the queue to baseURL/<token> in batches (JSON arrays
// of records), as Flipcause's queue does at each interval. A batch that is
// not answered 2xx stays queued, with everything after it, for the next flush.
func (e *Emulator) SendWebhooks(ctx context.Context, baseURL string) (Delivery, error) {
	url := strings.TrimRight(baseURL, "/") + "/" + e.opts.Token
	var d Delivery
	for {
		e.mu.Lock()
		n := min(e.opts.BatchSize, len(e.queue))
		batch := append([]Record(nil), e.queue[:n]...)
		e.mu.Unlock()
		if n == 0 {
			return d, nil
		}
		body, err := json.Marshal(batch)
		if err != nil {
			return d, err
		}
		sends := 1
		if e.opts.Duplicate {
			sends = 2
		}
		for range sends {
			code, err := sandbox.PostWebhook(ctx, url, body, nil)
			if err != nil {
				return e.pending(d), fmt.Errorf("flipcause webhook batch of %d records: %w", n, err)
			}
			if code < 200 || code > 299 {
				return e.pending(d), fmt.Errorf("flipcause webhook batch of %d records: receiver answered HTTP %d; kept queued", n, code)
			}
		}
		e.mu.Lock()
		e.queue = e.queue[n:]
		e.batches++
		e.mu.Unlock()
		d.Batches++
		d.Records += n
	}
}

func (e *Emulator) pending(d Delivery) Delivery {
	d.Pending = e.Pending()
	return d
}

// Run flushes the queue to baseURL every interval until ctx ends: the
// batched, delayed delivery Flipcause documents.
func (e *Emulator) Run(ctx context.Context, baseURL string, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = e.SendWebhooks(ctx, baseURL)
		}
	}
}
