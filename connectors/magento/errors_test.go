package magento

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/magento/magentotest"
	"github.com/contactsync/contactsync/connectors/transport"
	"github.com/contactsync/contactsync/internal/sandbox"
)

func TestSubstitute(t *testing.T) {
	for _, tc := range []struct{ msg, params, want string }{
		{"No such entity with %fieldName = %fieldValue", `{"fieldName":"customerId","fieldValue":88}`, "No such entity with customerId = 88"},
		{"The consumer isn't authorized to access %resources.", `{"resources":"Magento_Customer::customer"}`, "The consumer isn't authorized to access Magento_Customer::customer."},
		{"The nonce is already being used by the consumer with ID %1.", `["1"]`, "The nonce is already being used by the consumer with ID 1."},
		{"%1 and %2 and %3", `["a","b"]`, "a and b and %3"},
		{"plain", ``, "plain"},
		{"%field", `{"fieldName":"x"}`, "%field"},
	} {
		if got := substitute(tc.msg, json.RawMessage(tc.params)); got != tc.want {
			t.Errorf("substitute(%q, %s) = %q, want %q", tc.msg, tc.params, got, tc.want)
		}
	}
}

func TestPlausibleEmail(t *testing.T) {
	for e, want := range map[string]bool{"jane@example.com": true, "a.b+c@mail.example.org": true, "jane.doe@": false,
		"@example.com": false, "john smith@example.com": false, "double@@example.com": false, "trailing@example": false,
		"a,b@example.com": false, "": false, "x@example.": false} {
		if got := plausibleEmail(e); got != want {
			t.Errorf("plausibleEmail(%q) = %v, want %v", e, got, want)
		}
	}
}

func TestAuthFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		creds func(*magentotest.Emulator) map[string][]byte
		setup func(*magentotest.Emulator)
	}{
		{"bearer not enabled in the store", (*magentotest.Emulator).BearerCredentials, func(*magentotest.Emulator) {}},
		{"revoked integration", (*magentotest.Emulator).Credentials, (*magentotest.Emulator).Revoke},
		{"wrong consumer secret", func(e *magentotest.Emulator) map[string][]byte {
			c := e.Credentials()
			c[KeyConsumerSecret] = []byte("not-the-secret-1234")
			return c
		}, func(*magentotest.Emulator) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, magentotest.Options{})
			tc.setup(f.emu)
			creds := tc.creds(f.emu)
			_, err := f.source(t, creds).Check(t.Context())
			if connectors.KindOf(err) != connectors.KindAuth || !strings.Contains(err.Error(), "Secret") {
				t.Fatalf("want an auth error that says how to fix it, got %v", err)
			}
			for _, v := range creds {
				if strings.Contains(err.Error(), string(v)) {
					t.Fatalf("error leaks a secret: %v", err)
				}
			}
		})
	}
	if _, err := New(&v1alpha1.SourceConnectionSpec{Magento: &v1alpha1.MagentoSource{BaseURL: "https://x"}},
		connectors.Config{Credentials: map[string][]byte{KeyConsumerKey: []byte("k"), KeyAccessToken: []byte("t")}}); connectors.KindOf(err) != connectors.KindAuth {
		t.Fatalf("half an OAuth key set: want an auth error, got %v", err)
	}
	if _, err := New(&v1alpha1.SourceConnectionSpec{Magento: &v1alpha1.MagentoSource{BaseURL: "shop.example.com"}},
		connectors.Config{Credentials: map[string][]byte{KeyAccessToken: []byte("t")}}); connectors.KindOf(err) != connectors.KindInvalid {
		t.Fatalf("base URL without a scheme: want an Invalid error, got %v", err)
	}
}

func TestThrottlesAndFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults sandbox.Faults
		opts   magentotest.Options
		kind   connectors.ErrorKind
		retry  time.Duration
		msg    string
	}{
		{"429 with Retry-After", sandbox.Faults{FailNext: 1, FailStatus: 429}, magentotest.Options{}, connectors.KindRateLimited, 0, "Too Many Requests"},
		{"injected 429 share", sandbox.Faults{RateLimitShare: 1, RetryAfter: sandbox.Duration{Duration: 7 * time.Second}}, magentotest.Options{}, connectors.KindRateLimited, 7 * time.Second, ""},
		{"503 from a WAF as HTML", sandbox.Faults{FailNext: 1, FailStatus: 503}, magentotest.Options{HTMLFaults: true}, connectors.KindTransient, 0, "non-JSON"},
		{"500", sandbox.Faults{FailNext: 1, FailStatus: 500}, magentotest.Options{}, connectors.KindTransient, 0, "Internal Error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.opts)
			f.emu.Generate(5, 1)
			f.emu.Server().SetFaults(tc.faults)
			err := f.source(t, f.emu.Credentials()).Changes(t.Context(), "", func(connectors.Page) error { return nil })
			if connectors.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.msg) || connectors.RetryAfterOf(err) != tc.retry {
				t.Fatalf("want %s (retry after %v, %q), got %v (retry after %v)", tc.kind, tc.retry, tc.msg, err, connectors.RetryAfterOf(err))
			}
		})
	}
	// With the shared client's retries, a transient fault is absorbed.
	f := newFixture(t, magentotest.Options{})
	f.emu.Generate(5, 1)
	f.emu.Server().SetFaults(sandbox.Faults{FailNext: 2, FailStatus: 503})
	s := f.source(t, f.emu.Credentials())
	s.http = mustOAuthClient(t, f, transport.NewLimiter(Name, Limits, transport.Options{BaseDelay: time.Millisecond}).Client())
	if got, _, _ := collect(t, s, ""); len(got) != 5 {
		t.Fatalf("after retried 503s: got %d customers", len(got))
	}
}

func mustOAuthClient(t *testing.T, f *fixture, hc *http.Client) *http.Client {
	t.Helper()
	s, err := New(&v1alpha1.SourceConnectionSpec{Magento: &v1alpha1.MagentoSource{BaseURL: f.srv.URL}},
		connectors.Config{Credentials: f.emu.Credentials(), HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	return s.http
}

func TestMalformedPayloads(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"not JSON", `<html>oops</html>`},
		{"wrong types", `{"items":"many","total_count":"x"}`},
		{"truncated", `{"items":[{"id":1,`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			s, err := New(&v1alpha1.SourceConnectionSpec{Magento: &v1alpha1.MagentoSource{BaseURL: srv.URL}},
				connectors.Config{Credentials: map[string][]byte{KeyAccessToken: []byte("t")}})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Changes(t.Context(), "", func(connectors.Page) error { return nil })
			if connectors.KindOf(err) != connectors.KindTransient || !strings.Contains(err.Error(), "search") {
				t.Fatalf("want a transient error naming the operation, got %v", err)
			}
		})
	}
}

func TestUnknownStoreAndRoute(t *testing.T) {
	f := newFixture(t, magentotest.Options{})
	s, _ := New(&v1alpha1.SourceConnectionSpec{Magento: &v1alpha1.MagentoSource{BaseURL: f.srv.URL, StoreCode: "nope"}},
		connectors.Config{Credentials: f.emu.Credentials()})
	if _, err := s.Check(t.Context()); connectors.KindOf(err) != connectors.KindNotFound || !strings.Contains(err.Error(), "storeCode") {
		t.Fatalf("unknown store: got %v", err)
	}
	s, _ = New(&v1alpha1.SourceConnectionSpec{Magento: &v1alpha1.MagentoSource{BaseURL: f.srv.URL + "/shop"}},
		connectors.Config{Credentials: f.emu.Credentials()})
	if _, err := s.Check(t.Context()); connectors.KindOf(err) != connectors.KindNotFound || !strings.Contains(err.Error(), "baseURL") {
		t.Fatalf("wrong base URL: got %v", err)
	}
}

func TestWriteOptOut(t *testing.T) {
	f := newFixture(t, magentotest.Options{})
	a, _ := f.emu.UpsertCustomer(magentotest.Customer{Email: "Pat@Example.com", Firstname: "Pat", Lastname: "Lee", WebsiteID: 1,
		Addresses: []magentotest.Address{{City: "Austin", Street: []string{"1 Main St"}, DefaultBilling: true}}}, true)
	b, _ := f.emu.UpsertCustomer(magentotest.Customer{Email: "pat@example.com", Firstname: "Pat", Lastname: "Lee", WebsiteID: 2}, true)
	c, _ := f.emu.UpsertCustomer(magentotest.Customer{Email: "other@example.com", Firstname: "O", Lastname: "X", WebsiteID: 1}, true)
	s := f.source(t, f.emu.Credentials())
	for _, tc := range []struct {
		email string
		want  int
	}{{" PAT@example.com ", 2}, {"pat@example.com", 0}, {"nobody@example.com", 0}} {
		n, err := s.WriteOptOut(t.Context(), tc.email)
		if err != nil || n != tc.want {
			t.Fatalf("WriteOptOut(%q) = %d, %v; want %d", tc.email, n, err, tc.want)
		}
	}
	for _, id := range []int64{a.ID, b.ID} {
		st, _ := f.emu.Customer(id)
		if st.Subscribed {
			t.Fatalf("customer %d still subscribed", id)
		}
	}
	if st, _ := f.emu.Customer(a.ID); len(st.Customer.Addresses) != 1 || st.Customer.Addresses[0].City != "Austin" {
		t.Fatalf("the PUT must send the whole customer back; addresses now %+v", st.Customer.Addresses)
	}
	if st, _ := f.emu.Customer(c.ID); !st.Subscribed {
		t.Fatal("another customer was unsubscribed")
	}
	if _, err := s.WriteOptOut(t.Context(), "a,b@example.com"); connectors.KindOf(err) != connectors.KindInvalid || strings.Contains(err.Error(), "a,b@example.com") {
		t.Fatalf("bad email: want an Invalid error with the email masked, got %v", err)
	}
}
