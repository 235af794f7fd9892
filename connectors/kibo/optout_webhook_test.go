package kibo

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/kibo/kibotest"
)

func TestWriteOptOut(t *testing.T) {
	e := newEnv(t, kibotest.Options{})
	mk := func(email string, marketing bool) kibotest.Account {
		return e.emu.PutAccount(kibotest.Account{EmailAddress: email, AcceptsMarketing: marketing, IsActive: true,
			ExternalID: "keep-" + email, Attributes: []kibotest.Attribute{{FullyQualifiedName: "tenant~pet", Values: []string{"cat"}}}})
	}
	a := mk("jane@example.com", true)
	b := mk("JANE@Example.com", true)
	already := mk("jane@example.com", false)
	other := mk("john@example.com", true)
	s := e.source(t)

	n, err := s.WriteOptOut(t.Context(), " Jane@example.com ")
	if err != nil || n != 2 {
		t.Fatalf("WriteOptOut: %d, %v; want 2 accounts changed", n, err)
	}
	for _, acc := range []kibotest.Account{a, b, already} {
		got, _ := e.emu.Account(acc.ID)
		if got.AcceptsMarketing || got.ExternalID != acc.ExternalID || len(got.Attributes) != 1 || !got.IsActive {
			t.Fatalf("account %d after opt-out: %+v", acc.ID, got)
		}
	}
	if got, _ := e.emu.Account(other.ID); !got.AcceptsMarketing {
		t.Fatal("an account with another email was opted out")
	}
	if n, err = s.WriteOptOut(t.Context(), "jane@example.com"); err != nil || n != 0 {
		t.Fatalf("second opt-out: %d, %v; want 0", n, err)
	}
	if n, err = s.WriteOptOut(t.Context(), "nobody@example.com"); err != nil || n != 0 {
		t.Fatalf("unknown email: %d, %v", n, err)
	}
	for _, bad := range []string{"", `x"y@example.com`} {
		_, err := s.WriteOptOut(t.Context(), bad)
		if connectors.KindOf(err) != connectors.KindInvalid || strings.Contains(err.Error(), `x"y@`) {
			t.Fatalf("email %q: %v", bad, err)
		}
	}
	// Errors mask the email.
	e.emu.ExpireTickets()
	e.cfg.Credentials = map[string][]byte{"application-id": []byte("a"), "shared-secret": []byte("wrong")}
	_, err = e.source(t).WriteOptOut(t.Context(), "jane@example.com")
	if err == nil || strings.Contains(err.Error(), "jane@") {
		t.Fatalf("error %v leaks the email", err)
	}
}

func TestWebhooks(t *testing.T) {
	e := newEnv(t, kibotest.Options{EventSecret: "evt-secret", EventRetryInterval: time.Millisecond})
	s := e.source(t)
	type got struct {
		verr error
		ev   connectors.WebhookEvent
	}
	results := make(chan got, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var g got
		if g.verr = s.VerifyWebhook(r, body); g.verr == nil {
			g.ev, g.verr = s.ParseWebhook(r, body)
		}
		results <- g
	}))
	defer recv.Close()
	if _, err := e.emu.SendWebhook(t.Context(), recv.URL, "customeraccount.updated", "1001"); err != nil {
		t.Fatal(err)
	}
	g := <-results
	if g.verr != nil || len(g.ev.Accounts) != 1 || g.ev.Accounts[0] != "12345" {
		t.Fatalf("signed event: %v %+v", g.verr, g.ev)
	}

	body := []byte(`{"eventId":"e1","topic":"order.closed","entityId":"x","timestamp":"2026-03-02T12:00:00Z"}`)
	date := e.clk.Now().UTC().Format(http.TimeFormat)
	sig := kibotest.Signature("evt-secret", date, body)
	req := func(h map[string]string, b []byte) (*http.Request, []byte) {
		r := httptest.NewRequest("POST", "/kibo", nil)
		r.Header.Set("Date", date)
		r.Header.Set("x-vol-hmac-sha256", sig)
		r.Header.Set("x-vol-tenant", "12345")
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r, b
	}
	tests := []struct {
		name string
		h    map[string]string
		body []byte
		ok   bool
	}{
		{"valid", nil, body, true},
		{"tampered body", nil, append([]byte(nil), append(body[:len(body)-1], ' ', '}')...), false},
		{"signed with the shared secret", map[string]string{"x-vol-hmac-sha256": kibotest.Signature(string(e.cfg.Credentials["shared-secret"]), date, body)}, body, false},
		{"no signature", map[string]string{"x-vol-hmac-sha256": ""}, body, false},
		{"stale date", map[string]string{"Date": e.clk.Now().Add(-time.Hour).UTC().Format(http.TimeFormat),
			"x-vol-hmac-sha256": kibotest.Signature("evt-secret", e.clk.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), body)}, body, false},
		{"other tenant", map[string]string{"x-vol-tenant": "999"}, body, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, b := req(tc.h, tc.body)
			err := s.VerifyWebhook(r, b)
			if (err == nil) != tc.ok {
				t.Fatalf("verify: %v, want ok=%v", err, tc.ok)
			}
			if err != nil && (connectors.KindOf(err) != connectors.KindAuth || strings.Contains(err.Error(), "evt-secret")) {
				t.Fatalf("verify error %v", err)
			}
		})
	}

	// Without event-secret the shared secret verifies, as Kibo signs with it.
	e2 := newEnv(t, kibotest.Options{})
	s2 := e2.source(t)
	r, _ := req(map[string]string{"x-vol-hmac-sha256": kibotest.Signature(string(e2.cfg.Credentials["shared-secret"]), date, body)}, body)
	if err := s2.VerifyWebhook(r, body); err != nil {
		t.Fatalf("shared-secret fallback: %v", err)
	}

	parse := []struct {
		body    string
		trigger bool
		invalid bool
	}{
		{`{"topic":"customeraccount.created","entityId":"1"}`, true, false},
		{`{"topic":"return.opened","entityId":"1"}`, true, false},
		{`{"topic":"product.updated","entityId":"1"}`, false, false},
		{`{"entityId":"1"}`, false, true},
		{`not json`, false, true},
	}
	for _, tc := range parse {
		r, _ := req(nil, nil)
		ev, err := s.ParseWebhook(r, []byte(tc.body))
		if (err != nil) != tc.invalid || (len(ev.Accounts) == 1) != tc.trigger {
			t.Errorf("parse %s: %+v %v", tc.body, ev, err)
		}
	}
}

func TestMapping(t *testing.T) {
	last := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		json string
		want func(connectors.Contact) bool
	}{
		{"opted in", `{"id":1,"emailAddress":"a@example.com","acceptsMarketing":true,"isActive":true}`,
			func(c connectors.Contact) bool { return c.Consent == connectors.ConsentSubscribed && c.Active }},
		{"opted out", `{"id":1,"acceptsMarketing":false,"isActive":false}`,
			func(c connectors.Contact) bool { return c.Consent == connectors.ConsentOptedOut && !c.Active }},
		{"consent absent", `{"id":1}`, func(c connectors.Contact) bool { return c.Consent == connectors.ConsentUnknown }},
		{"contact fills gaps", `{"id":7,"contacts":[{"email":"x@example.com","firstName":"Bo","lastNameOrSurname":"Li",
			"phoneNumbers":{"home":"1","work":"2"},"address":{"address1":"1 Main St","address2":"Apt 2","cityOrTown":"Austin",
			"stateOrProvince":"TX","postalOrZipCode":"78701","countryCode":"US"},"types":[{"isPrimary":true}]}]}`,
			func(c connectors.Contact) bool {
				return c.Email == "x@example.com" && c.FirstName == "Bo" && c.LastName == "Li" && c.Phone == "1" &&
					c.Address == connectors.Address{Street: "1 Main St, Apt 2", City: "Austin", Region: "TX", PostalCode: "78701", Country: "US"}
			}},
		{"purchases", `{"id":1,"commerceSummary":{"orderCount":3,"totalOrderAmount":{"amount":120.5},"lastOrderDate":"2025-05-01T00:00:00Z"}}`,
			func(c connectors.Contact) bool {
				return c.Purchases.Count == 3 && c.Purchases.Total == 120.5 && c.Purchases.Last.Equal(last) && c.Purchases.First.IsZero()
			}},
		{"one purchase", `{"id":1,"commerceSummary":{"orderCount":1,"totalOrderAmount":{"amount":9},"lastOrderDate":"2025-05-01T00:00:00Z"}}`,
			func(c connectors.Contact) bool { return c.Purchases.First.Equal(last) }},
		{"custom, tags, attributes", `{"id":1,"userName":"u","externalId":"E","segments":[{"name":"VIP"},{"code":"B2B"}],
			"attributes":[{"fullyQualifiedName":"tenant~size","values":["L",3,true]}],"isAnonymous":true}`,
			func(c connectors.Contact) bool {
				return c.Custom["userName"] == "u" && c.Custom["externalId"] == "E" && c.Custom["anonymous"] == "true" &&
					c.Custom["attribute:tenant~size"] == "L, 3, true" && len(c.Tags) == 2 && c.Tags[1] == "B2B"
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a account
			if err := json.Unmarshal([]byte(tc.json), &a); err != nil {
				t.Fatal(err)
			}
			if c := a.contact(); !tc.want(c) {
				t.Fatalf("contact %+v", c)
			}
		})
	}
}
