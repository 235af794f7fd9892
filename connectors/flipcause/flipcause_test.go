package flipcause

import (
	"errors"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

const goodToken = "fc-test-7Qm2xV9pLk4sT8wZr3NbYd6HjE5uGaCf"

func newSource(t *testing.T, token string) *Source {
	t.Helper()
	s, err := New(connectors.Config{Credentials: map[string][]byte{KeyWebhookToken: []byte(token)}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewWithoutTokenIsAuthError(t *testing.T) {
	_, err := New(connectors.Config{Credentials: map[string][]byte{KeyWebhookToken: []byte("  ")}})
	if connectors.KindOf(err) != connectors.KindAuth || !strings.Contains(err.Error(), KeyWebhookToken) {
		t.Fatalf("want an auth error naming %s, got %v", KeyWebhookToken, err)
	}
}

func TestCheckTokenStrength(t *testing.T) {
	for _, tc := range []struct {
		name, token string
		ok          bool
	}{
		{"random", goodToken, true},
		{"hex48", "3f9a0c7d1e2b4a5968f7e6d5c4b3a29180f7e6d5c4b3a291", true},
		{"short", "abc123", false},
		{"repetitive", strings.Repeat("ab", 20), false},
		{"slash", "fc-test-7Qm2xV9pLk4sT8wZr3/NbYd6HjE5uGaCf", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acc, err := newSource(t, tc.token).Check(t.Context())
			if tc.ok != (err == nil) {
				t.Fatalf("Check: ok=%v, err=%v", tc.ok, err)
			}
			if err != nil {
				if connectors.KindOf(err) != connectors.KindAuth || strings.Contains(err.Error(), tc.token) {
					t.Fatalf("want an auth error without the token, got %v", err)
				}
				return
			}
			if acc.ID == "" || strings.Contains(acc.ID, tc.token[:8]) {
				t.Fatalf("account ID %q must be set and not reveal the token", acc.ID)
			}
		})
	}
}

func TestChangesReturnsAtOnce(t *testing.T) {
	called := false
	err := newSource(t, goodToken).Changes(t.Context(), "", func(connectors.Page) error { called = true; return nil })
	if err != nil || called {
		t.Fatalf("Changes: err=%v called=%v; a push-only source has nothing to poll", err, called)
	}
}

func TestVerifyWebhook(t *testing.T) {
	s := newSource(t, goodToken)
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"/webhooks/flipcause/" + goodToken, true},
		{"/webhooks/flipcause/" + goodToken + "/", true},
		{"/webhooks/flipcause/" + goodToken[:len(goodToken)-1], false},
		{"/webhooks/flipcause/" + goodToken + "x", false},
		{"/webhooks/flipcause/", false},
		{"/webhooks/flipcause/wrong", false},
	} {
		r := httptest.NewRequest("POST", tc.path, nil)
		err := s.VerifyWebhook(r, nil)
		if tc.ok != (err == nil) {
			t.Errorf("%s: ok=%v err=%v", tc.path, tc.ok, err)
		}
		if err != nil && (connectors.KindOf(err) != connectors.KindAuth || strings.Contains(err.Error(), goodToken)) {
			t.Errorf("%s: want an auth error without the token, got %v", tc.path, err)
		}
	}
}

// rec builds a record with the fields Flipcause always sends.
func rec(id, trigger, activity, tx, cid, email, amount, date string) string {
	f := `{"webhook_record_id":"` + id + `","webhook_trigger_type":"` + trigger + `","activity_type":"` + activity +
		`","AD_contact_id":"Jane Doe (` + cid + `)","PD_email":"` + email + `","PD_first_name":"Jane","PD_last_name":"Doe","AD_transaction_date":"` + date + `","AD_transaction_time":"02:04 "`
	if tx != "" {
		f += `,"transaction_id":"` + tx + `"`
	}
	if amount != "" {
		f += `,"transaction_amount":"` + amount + `"`
	}
	return f + "}"
}

func TestParseWebhook(t *testing.T) {
	day := func(d string) time.Time { v, _ := time.Parse("2006-01-02 15:04", d+" 02:04"); return v }
	for _, tc := range []struct {
		name     string
		body     string
		want     []connectors.Contact // SourceID, Email, Consent, Purchases compared
		wantKind connectors.ErrorKind
	}{
		{name: "single record object",
			body: rec("1", "new_transaction", "Donation", "10", "CID638-1", "jane@example.com", "25.00", "2024-03-01"),
			want: []connectors.Contact{{SourceID: "CID638-1", Email: "jane@example.com", Consent: connectors.ConsentUnknown,
				Purchases: connectors.Purchases{Count: 1, Total: 25, First: day("2024-03-01"), Last: day("2024-03-01")}}}},
		{name: "batch aggregates per donor, activity amounts ignored, refund lowers total",
			body: "[" + strings.Join([]string{
				rec("1", "new_activity", "Donation", "10", "CID638-1", "jane@example.com", "25.00", "2024-03-01"),
				rec("2", "new_transaction", "Donation", "10", "CID638-1", "jane@example.com", "25.00", "2024-03-01"),
				rec("3", "new_transaction", "Donation", "11", "CID638-1", "jane@example.com", "$1,000.50", "2024-05-01"),
				rec("4", "new_transaction", "Refund", "12", "CID638-1", "jane@example.com", "25.00", "2024-05-02"),
				rec("5", "new_activity", "Mailing List", "", "CID638-2", "sam@example.com", "", "2024-01-01"),
			}, ",") + "]",
			want: []connectors.Contact{
				{SourceID: "CID638-1", Email: "jane@example.com", Consent: connectors.ConsentUnknown,
					Purchases: connectors.Purchases{Count: 2, Total: 1000.50, First: day("2024-03-01"), Last: day("2024-05-01")}},
				{SourceID: "CID638-2", Email: "sam@example.com", Consent: connectors.ConsentSubscribed},
			}},
		{name: "duplicate deliveries count once",
			body: "[" + rec("7", "new_transaction", "Donation", "10", "CID638-1", "j@example.com", "10", "2024-03-01") + "," +
				rec("7", "new_transaction", "Donation", "10", "CID638-1", "j@example.com", "10", "2024-03-01") + "," +
				rec("8", "new_transaction", "Donation", "10", "CID638-1", "j@example.com", "10", "2024-03-01") + "]",
			want: []connectors.Contact{{SourceID: "CID638-1", Email: "j@example.com", Consent: connectors.ConsentUnknown,
				Purchases: connectors.Purchases{Count: 1, Total: 10, First: day("2024-03-01"), Last: day("2024-03-01")}}}},
		{name: "no CID falls back to email, records without either are skipped",
			body: `[{"webhook_record_id":"1","PD_email":" Pat@Example.com "},{"webhook_record_id":"2","PD_first_name":"Nobody"}]`,
			want: []connectors.Contact{{SourceID: "email:pat@example.com", Email: "Pat@Example.com", Consent: connectors.ConsentUnknown}}},
		{name: "bad amount and bad date skip the purchase, keep the contact",
			body: "[" + rec("1", "new_transaction", "Donation", "10", "CID638-1", "j@example.com", "ten", "2024-03-01") + "," +
				rec("2", "new_transaction", "Donation", "11", "CID638-1", "j@example.com", "5", "03/01/2024") + "]",
			want: []connectors.Contact{{SourceID: "CID638-1", Email: "j@example.com", Consent: connectors.ConsentUnknown}}},
		{name: "numbers instead of strings are read", body: `{"webhook_record_id":1,"webhook_trigger_type":"new_transaction","transaction_id":5,"transaction_amount":12.5,"AD_contact_id":"X (CID9-1)"}`,
			want: []connectors.Contact{{SourceID: "CID9-1", Consent: connectors.ConsentUnknown, Purchases: connectors.Purchases{Count: 1, Total: 12.5}}}},
		{name: "malformed JSON", body: `[{"webhook_record_id":`, wantKind: connectors.KindInvalid},
		{name: "array of non-objects", body: `["a"]`, wantKind: connectors.KindInvalid},
		{name: "null element", body: `[null]`, wantKind: connectors.KindInvalid},
		{name: "empty", body: ``, wantKind: connectors.KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := newSource(t, goodToken).ParseWebhook(httptest.NewRequest("POST", "/", nil), []byte(tc.body))
			if tc.wantKind != "" {
				var ce *connectors.Error
				if !errors.As(err, &ce) || ce.Kind != tc.wantKind {
					t.Fatalf("want %s error, got %v", tc.wantKind, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ev.Contacts) != len(tc.want) {
				t.Fatalf("got %d contacts, want %d: %+v", len(ev.Contacts), len(tc.want), ev.Contacts)
			}
			for i, w := range tc.want {
				g := ev.Contacts[i]
				if g.SourceID != w.SourceID || g.Email != w.Email || g.Consent != w.Consent || !g.Active ||
					g.Purchases.Count != w.Purchases.Count || math.Abs(g.Purchases.Total-w.Purchases.Total) > 1e-9 ||
					!g.Purchases.First.Equal(w.Purchases.First) || !g.Purchases.Last.Equal(w.Purchases.Last) {
					t.Errorf("contact %d:\n got %+v\nwant %+v", i, g, w)
				}
			}
		})
	}
}
