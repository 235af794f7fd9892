package flipcause

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/flipcause/flipcausetest"
)

// receiver is a stand-in for the operator's webhook receiver: it verifies and
// parses each batch with the connector and sums purchases per donor.
type receiver struct {
	src     *Source
	mu      sync.Mutex
	totals  map[string]connectors.Purchases
	consent map[string]connectors.Consent
	fail    atomic.Int32 // answer the next N batches 500
	batches atomic.Int32
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := rc.src.VerifyWebhook(r, body); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if rc.fail.Add(-1) >= 0 {
		http.Error(w, "target down", http.StatusInternalServerError)
		return
	}
	ev, err := rc.src.ParseWebhook(r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.batches.Add(1)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, c := range ev.Contacts {
		p := rc.totals[c.SourceID]
		p.Count += c.Purchases.Count
		p.Total += c.Purchases.Total
		rc.totals[c.SourceID] = p
		if c.Consent == connectors.ConsentSubscribed {
			rc.consent[c.SourceID] = c.Consent
		}
	}
}

func TestEmulatorWebhooksEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name      string
		batchSize int
		duplicate bool
	}{
		{"small batches split transactions", 7, false},
		{"large batches", 500, false},
		{"duplicate delivery", 13, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := flipcausetest.New(flipcausetest.Options{BatchSize: tc.batchSize, Duplicate: tc.duplicate})
			emu.Generate(300, 7)
			src, err := New(connectors.Config{Credentials: emu.Credentials()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := src.Check(t.Context()); err != nil {
				t.Fatalf("the emulator's default token must pass Check: %v", err)
			}
			rc := &receiver{src: src, totals: map[string]connectors.Purchases{}, consent: map[string]connectors.Consent{}}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			d, err := emu.SendWebhooks(t.Context(), srv.URL+"/webhooks/flipcause")
			if err != nil || emu.Pending() != 0 || d.Records == 0 {
				t.Fatalf("delivery %+v, pending %d: %v", d, emu.Pending(), err)
			}
			// Each duplicated batch is parsed again, so the sums double exactly:
			// deduplication across batches is the receiver's job (webhook_record_id).
			factor := 1.0
			if tc.duplicate {
				factor = 2
			}
			for _, donor := range emu.Donors() {
				var want connectors.Purchases
				for _, tx := range donor.Transactions {
					if tx.Refund {
						want.Total -= tx.Amount
					} else {
						want.Count++
						want.Total += tx.Amount
					}
				}
				got := rc.totals[donor.CID]
				if float64(got.Count) != factor*float64(want.Count) || math.Abs(got.Total-factor*want.Total) > 0.005 {
					t.Fatalf("donor %s: got %+v, want %v× %+v", donor.CID, got, factor, want)
				}
				if donor.MailingList != (rc.consent[donor.CID] == connectors.ConsentSubscribed) {
					t.Fatalf("donor %s: mailing list %v, consent %q", donor.CID, donor.MailingList, rc.consent[donor.CID])
				}
			}
		})
	}
}

func TestEmulatorKeepsUndeliveredBatches(t *testing.T) {
	emu := flipcausetest.New(flipcausetest.Options{BatchSize: 10})
	cid := emu.AddDonor(flipcausetest.Donor{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.org"})
	tx, err := emu.Donate(cid, 40)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emu.Refund(cid, tx); err != nil {
		t.Fatal(err)
	}
	src, _ := New(connectors.Config{Credentials: emu.Credentials()})
	rc := &receiver{src: src, totals: map[string]connectors.Purchases{}, consent: map[string]connectors.Consent{}}
	rc.fail.Store(1)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	if _, err := emu.SendWebhooks(t.Context(), srv.URL); err == nil || emu.Pending() != 5 {
		t.Fatalf("a refused batch must stay queued: err=%v pending=%d", err, emu.Pending())
	}
	if _, err := emu.SendWebhooks(t.Context(), srv.URL); err != nil || emu.Pending() != 0 {
		t.Fatalf("retry: err=%v pending=%d", err, emu.Pending())
	}
	if got := rc.totals[cid]; got.Count != 1 || got.Total != 0 {
		t.Fatalf("donation then refund: got %+v, want count 1 and total 0", got)
	}
	// A wrong token is refused by the connector.
	other := flipcausetest.New(flipcausetest.Options{Token: "another-token-9f8e7d6c5b4a3210"})
	other.AddDonor(flipcausetest.Donor{Email: "x@example.org"})
	if _, err := other.SendWebhooks(t.Context(), srv.URL); err == nil || other.Pending() != 1 {
		t.Fatalf("a wrong token must be refused and kept queued: err=%v pending=%d", err, other.Pending())
	}
}
