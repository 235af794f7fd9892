package quickbooks

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/quickbooks/quickbookstest"
)

// TestWebhooksFromTheEmulator receives the emulator's signed deliveries in
// both forms and checks that they verify and name the realm.
func TestWebhooksFromTheEmulator(t *testing.T) {
	for _, format := range []string{quickbookstest.FormatLegacy, quickbookstest.FormatCloudEvents} {
		t.Run(format, func(t *testing.T) {
			h := newHarness(t, quickbookstest.Options{WebhookRetries: []time.Duration{0, time.Millisecond}})
			got := make(chan connectors.WebhookEvent, 1)
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if err := h.src.VerifyWebhook(r, body); err != nil {
					http.Error(w, err.Error(), http.StatusUnauthorized)
					return
				}
				ev, err := h.src.ParseWebhook(r, body)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				got <- ev
			}))
			defer recv.Close()
			if _, err := h.emu.UpsertCustomer(quickbookstest.Customer{DisplayName: "Hooked"}); err != nil {
				t.Fatal(err)
			}
			status, n, err := h.emu.SendWebhook(context.Background(), recv.URL, format)
			if err != nil || status != 200 || n != 1 {
				t.Fatalf("delivery: status %d, %d events, %v", status, n, err)
			}
			if ev := <-got; !slices.Equal(ev.Accounts, []string{h.emu.RealmID()}) {
				t.Fatalf("accounts %v, want the realm", ev.Accounts)
			}
		})
	}
}

func TestVerifyWebhookRejects(t *testing.T) {
	h := newHarness(t, quickbookstest.Options{})
	body := []byte(`{"eventNotifications":[]}`)
	for _, tc := range []struct {
		name, sig string
		src       *Source
		kind      connectors.ErrorKind
	}{
		{"no header", "", h.src, connectors.KindAuth},
		{"not base64", "%%%", h.src, connectors.KindAuth},
		{"wrong signature", h.emu.Sign([]byte("other body")), h.src, connectors.KindAuth},
		{"no verifier configured", h.emu.Sign(body), &Source{}, connectors.KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			if tc.sig != "" {
				r.Header.Set(SignatureHeader, tc.sig)
			}
			if err := tc.src.VerifyWebhook(r, body); connectors.KindOf(err) != tc.kind {
				t.Fatalf("got %v, want %s", err, tc.kind)
			}
		})
	}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set(SignatureHeader, h.emu.Sign(body))
	if err := h.src.VerifyWebhook(r, body); err != nil {
		t.Fatalf("valid signature rejected: %v", err)
	}
}

func TestParseWebhook(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
		invalid    bool
	}{
		{"legacy two realms", `{"eventNotifications":[{"realmId":"2","dataChangeEvent":{"entities":[{"name":"Invoice","id":"1","operation":"Create"}]}},{"realmId":"1","dataChangeEvent":{"entities":[{"name":"Customer","id":"9","operation":"Update"}]}}]}`, []string{"1", "2"}, false},
		{"legacy irrelevant entity", `{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":[{"name":"Vendor","id":"1","operation":"Create"}]}}]}`, nil, false},
		{"cloudevents", `[{"specversion":"1.0","type":"qbo.customer.merged.v1","intuitaccountid":"5","data":{"deletedid":"27"}},{"type":"qbo.salesreceipt.created.v1","intuitaccountid":"5"}]`, []string{"5"}, false},
		{"cloudevents irrelevant", `[{"type":"qbo.bill.created.v1","intuitaccountid":"5"}]`, nil, false},
		{"cloudevents bad type", `[{"type":"customer","intuitaccountid":"5"}]`, nil, true},
		{"truncated", `{"eventNotifications":[`, nil, true},
		{"no notifications", `{"foo":1}`, nil, true},
		{"not JSON", `hello`, nil, true},
		{"empty", ``, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := (&Source{}).ParseWebhook(nil, []byte(tc.body))
			if tc.invalid {
				if connectors.KindOf(err) != connectors.KindInvalid {
					t.Fatalf("got %v, want KindInvalid", err)
				}
				return
			}
			if err != nil || !slices.Equal(ev.Accounts, tc.want) {
				t.Fatalf("got %v, %v; want %v", ev.Accounts, err, tc.want)
			}
		})
	}
}
