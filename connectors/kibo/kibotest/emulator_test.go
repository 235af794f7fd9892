package kibotest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

type client struct {
	t     *testing.T
	base  string
	token string
}

func (c *client) do(method, path string, body any, headers map[string]string) (*http.Response, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if c.token != "" {
		req.Header.Set("x-vol-app-claims", c.token)
	}
	req.Header.Set("x-vol-tenant", "12345")
	req.Header.Set("x-vol-site", "23456")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func start(t *testing.T, o Options) (*Emulator, *client) {
	e := New(o)
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	c := &client{t: t, base: srv.URL}
	resp, b := c.do("POST", "/api/platform/applications/authtickets",
		map[string]string{"applicationId": e.opts.ApplicationID, "sharedSecret": e.opts.SharedSecret}, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("auth ticket: %d %s", resp.StatusCode, b)
	}
	var tk AuthTicket
	if err := json.Unmarshal(b, &tk); err != nil || tk.AccessToken == "" || tk.AccessTokenExpiration.IsZero() {
		t.Fatalf("ticket %s: %v", b, err)
	}
	c.token = tk.AccessToken
	return e, c
}

func TestAuthTickets(t *testing.T) {
	e, c := start(t, Options{})
	anon := &client{t: t, base: c.base}

	resp, b := anon.do("POST", "/api/platform/applications/authtickets",
		map[string]string{"applicationId": e.opts.ApplicationID, "sharedSecret": "wrong"}, nil)
	var apiErr APIError
	if resp.StatusCode != 401 || json.Unmarshal(b, &apiErr) != nil || apiErr.ErrorCode != "UNAUTHORIZED" {
		t.Fatalf("wrong secret: %d %s", resp.StatusCode, b)
	}

	// Refresh replaces the ticket: the old access and refresh tokens die.
	tk := AuthTicket{}
	resp, b = anon.do("POST", "/api/platform/applications/authtickets",
		map[string]string{"applicationId": e.opts.ApplicationID, "sharedSecret": e.opts.SharedSecret}, nil)
	_ = json.Unmarshal(b, &tk)
	resp, b = anon.do("PUT", "/api/platform/applications/authtickets/refresh-ticket", map[string]string{"refreshToken": tk.RefreshToken}, nil)
	var next AuthTicket
	if resp.StatusCode != 200 || json.Unmarshal(b, &next) != nil || next.RefreshToken == tk.RefreshToken || next.AccessToken == tk.AccessToken {
		t.Fatalf("refresh: %d %s", resp.StatusCode, b)
	}
	if resp, _ = anon.do("PUT", "/api/platform/applications/authtickets/refresh-ticket", map[string]string{"refreshToken": tk.RefreshToken}, nil); resp.StatusCode != 401 {
		t.Fatalf("reused refresh token: %d, want 401", resp.StatusCode)
	}
	old := &client{t: t, base: c.base, token: tk.AccessToken}
	if resp, _ = old.do("GET", "/api/commerce/customer/accounts", nil, nil); resp.StatusCode != 401 {
		t.Fatalf("replaced access token: %d, want 401", resp.StatusCode)
	}
	// Revoke.
	if resp, _ = anon.do("DELETE", "/api/platform/applications/authtickets/"+next.RefreshToken, nil, nil); resp.StatusCode != 204 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if resp, _ = anon.do("PUT", "/api/platform/applications/authtickets/refresh-ticket", map[string]string{"refreshToken": next.RefreshToken}, nil); resp.StatusCode != 401 {
		t.Fatalf("revoked refresh token: %d, want 401", resp.StatusCode)
	}
	// Expired access token → 401 with the ApiError body.
	e.ExpireTickets()
	resp, b = c.do("GET", "/api/commerce/customer/accounts", nil, nil)
	if resp.StatusCode != 401 || json.Unmarshal(b, &apiErr) != nil || apiErr.Message == "" {
		t.Fatalf("expired token: %d %s", resp.StatusCode, b)
	}
	// OAuth client credentials and Bearer.
	resp, b = anon.do("POST", "/api/platform/applications/authtickets/oauth", map[string]string{
		"client_id": e.opts.ApplicationID, "client_secret": e.opts.SharedSecret, "grant_type": "client_credentials"}, nil)
	var ot struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &ot) != nil || ot.ExpiresIn != 3600 {
		t.Fatalf("oauth: %d %s", resp.StatusCode, b)
	}
	if resp, _ = anon.do("GET", "/api/commerce/customer/accounts", nil, map[string]string{"Authorization": "Bearer " + ot.AccessToken}); resp.StatusCode != 200 {
		t.Fatalf("bearer: %d", resp.StatusCode)
	}
}

func TestTenantRouting(t *testing.T) {
	_, c := start(t, Options{OtherSites: []int64{777}})
	tests := []struct {
		name    string
		host    string
		headers map[string]string
		want    int
	}{
		{"headers", "", nil, 200},
		{"other site", "", map[string]string{"x-vol-site": "777"}, 200},
		{"wrong tenant header", "", map[string]string{"x-vol-tenant": "999"}, 401},
		{"wrong site header", "", map[string]string{"x-vol-site": "1"}, 401},
		{"tenant-site host", "t12345-s23456.mozu.com", map[string]string{"x-vol-tenant": "999"}, 200},
		{"wrong host", "t999-s23456.mozu.com", nil, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", c.base+"/api/commerce/customer/accounts", nil)
			req.Header.Set("x-vol-app-claims", c.token)
			req.Header.Set("x-vol-tenant", "12345")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			if tc.host != "" {
				req.Host = tc.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want || resp.Header.Get("x-vol-correlation") == "" {
				t.Fatalf("status %d (correlation %q), want %d", resp.StatusCode, resp.Header.Get("x-vol-correlation"), tc.want)
			}
		})
	}
}

func TestListingPaging(t *testing.T) {
	for _, reject := range []bool{false, true} {
		t.Run(fmt.Sprintf("reject=%v", reject), func(t *testing.T) {
			e, c := start(t, Options{RejectOversizePage: reject})
			e.Generate(450, 7)
			var col Collection[Account]
			resp, b := c.do("GET", "/api/commerce/customer/accounts", nil, nil)
			if resp.StatusCode != 200 || json.Unmarshal(b, &col) != nil || col.PageSize != 20 || len(col.Items) != 20 || col.TotalCount != 450 || col.PageCount != 23 {
				t.Fatalf("default page: %d size %d items %d total %d count %d", resp.StatusCode, col.PageSize, len(col.Items), col.TotalCount, col.PageCount)
			}
			resp, b = c.do("GET", "/api/commerce/customer/accounts?pageSize=500", nil, nil)
			if reject {
				if resp.StatusCode != 400 {
					t.Fatalf("oversize page: %d, want 400", resp.StatusCode)
				}
			} else if json.Unmarshal(b, &col) != nil || col.PageSize != 200 || len(col.Items) != 200 {
				t.Fatalf("oversize page not clamped: %d %d", col.PageSize, len(col.Items))
			}
			resp, b = c.do("GET", "/api/commerce/customer/accounts?pageSize=200&startIndex=400&sortBy=id%20desc", nil, nil)
			if json.Unmarshal(b, &col) != nil || len(col.Items) != 50 || col.Items[0].ID != 1050 || col.StartIndex != 400 {
				t.Fatalf("last page: %d items, first %v", len(col.Items), col.Items)
			}
			for _, bad := range []string{"?startIndex=-1", "?pageSize=0", "?filter=id%20eq", "?sortBy=nope"} {
				if resp, _ = c.do("GET", "/api/commerce/customer/accounts"+bad, nil, nil); resp.StatusCode != 400 {
					t.Errorf("%s: %d, want 400", bad, resp.StatusCode)
				}
			}
		})
	}
}

func TestPutAccountAndSummary(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	e, c := start(t, Options{Now: func() time.Time { return now }})
	a := e.PutAccount(Account{EmailAddress: "jane@example.com", IsActive: true, AcceptsMarketing: true,
		ExternalID: "X1", AuditInfo: AuditInfo{UpdateDate: now.Add(-time.Hour)}})
	o := e.AddOrder(Order{CustomerAccountID: a.ID, Total: 100})
	e.AddOrder(Order{CustomerAccountID: a.ID, Total: 50, SubmittedDate: now.Add(-48 * time.Hour)})
	e.AddOrder(Order{CustomerAccountID: a.ID, Total: 70, Status: "Cancelled"})
	e.Refund(o.ID, 30)
	got, _ := e.Account(a.ID)
	if s := got.CommerceSummary; s.OrderCount != 2 || s.TotalOrderAmount.Amount != 120 || !s.LastOrderDate.Equal(now) {
		t.Fatalf("summary %+v, want 2 orders, 120, last %v", s, now)
	}
	if !got.AuditInfo.UpdateDate.Equal(now.Add(-time.Hour)) {
		t.Fatalf("orders bumped the account's updateDate to %v", got.AuditInfo.UpdateDate)
	}

	now = now.Add(time.Minute)
	got.AcceptsMarketing = false
	got.IsActive = false
	got.CommerceSummary = CommerceSummary{}
	resp, b := c.do("PUT", fmt.Sprintf("/api/commerce/customer/accounts/%d", a.ID), got, nil)
	var put Account
	if resp.StatusCode != 200 || json.Unmarshal(b, &put) != nil {
		t.Fatalf("put: %d %s", resp.StatusCode, b)
	}
	if put.AcceptsMarketing || !put.IsActive || put.CommerceSummary.OrderCount != 2 || !put.AuditInfo.UpdateDate.Equal(now) || put.ExternalID != "X1" {
		t.Fatalf("after PUT: %+v", put)
	}
	if resp, _ = c.do("PUT", fmt.Sprintf("/api/commerce/customer/accounts/%d", a.ID+1), got, nil); resp.StatusCode != 400 {
		t.Fatalf("put with a mismatched id: %d, want 400", resp.StatusCode)
	}
	got.ID = 99999
	if resp, _ = c.do("PUT", "/api/commerce/customer/accounts/99999", got, nil); resp.StatusCode != 404 {
		t.Fatalf("put unknown: %d", resp.StatusCode)
	}
	if resp, _ = c.do("GET", "/api/commerce/customer/accounts/99999", nil, nil); resp.StatusCode != 404 {
		t.Fatalf("get unknown: %d", resp.StatusCode)
	}
	var orders Collection[Order]
	_, b = c.do("GET", fmt.Sprintf("/api/commerce/orders?filter=customerAccountId%%20eq%%20%d&sortBy=submittedDate%%20asc,orderNumber%%20asc", a.ID), nil, nil)
	if json.Unmarshal(b, &orders) != nil || orders.TotalCount != 3 || orders.Items[0].Total != 50 || orders.Items[1].AmountRefunded != 30 {
		t.Fatalf("orders: %s", b)
	}
}

func TestThrottleAndFaults(t *testing.T) {
	e, c := start(t, Options{RouteLimitPerMinute: 2})
	for i := range 3 {
		resp, b := c.do("GET", "/api/commerce/customer/accounts", nil, nil)
		if i < 2 && resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
		if i == 2 && (resp.StatusCode != 429 || len(b) != 0 || resp.Header.Get("Retry-After") != "60" || resp.Header.Get("x-vol-correlation") == "") {
			t.Fatalf("throttled: %d body %q retry %q", resp.StatusCode, b, resp.Header.Get("Retry-After"))
		}
	}
	// Another route has its own budget.
	if resp, _ := c.do("GET", "/api/commerce/orders", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("orders route: %d", resp.StatusCode)
	}
	e.Sandbox().SetFaults(sandbox.Faults{FailNext: 1, FailStatus: 503})
	resp, b := c.do("GET", "/api/commerce/orders", nil, nil)
	var apiErr APIError
	if resp.StatusCode != 503 || json.Unmarshal(b, &apiErr) != nil || apiErr.ErrorCode == "" {
		t.Fatalf("injected 503: %d %s", resp.StatusCode, b)
	}
	total, byRoute := e.Sandbox().Requests()
	if total < 5 || byRoute["GET /api/commerce/customer/accounts"] != 3 {
		t.Fatalf("request counts %d %v", total, byRoute)
	}
}

func TestEventsSignedAndRetried(t *testing.T) {
	var calls atomic.Int32
	var bad atomic.Value
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		want := Signature("event-secret", r.Header.Get("Date"), body)
		if r.Header.Get("x-vol-hmac-sha256") != want || r.Header.Get("x-vol-tenant") != "12345" {
			bad.Store("bad signature or tenant")
		}
		var ev Event
		if err := json.Unmarshal(body, &ev); err != nil || ev.EntityID != "1001" || ev.EventID == "" {
			bad.Store(fmt.Sprintf("body %s", body))
		}
		if calls.Add(1)%2 == 1 { // the first delivery of each event fails
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
	}))
	defer recv.Close()
	e := New(Options{EventSecret: "event-secret", OtherSites: []int64{777}, EventRetryInterval: time.Millisecond})
	ds, err := e.SendWebhook(context.Background(), recv.URL, "customeraccount.updated", "1001")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].SiteID != 23456 || ds[1].SiteID != 777 || ds[0].Attempts != 2 || !ds[1].Delivered {
		t.Fatalf("deliveries %+v, want one per site after a retry each", ds)
	}
	if v := bad.Load(); v != nil {
		t.Fatal(v)
	}
	if got := e.Credentials()["event-secret"]; string(got) != "event-secret" {
		t.Fatalf("credentials lack the event secret: %q", got)
	}
	// Order topics are site-level: one delivery.
	if ds, _ = e.SendWebhook(context.Background(), recv.URL, "order.closed", "abc"); len(ds) != 1 {
		t.Fatalf("order event deliveries %d, want 1", len(ds))
	}
	// A receiver that never acknowledges: delivery stops with the context.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	never := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
	defer never.Close()
	if ds, err = e.SendWebhook(ctx, never.URL, "order.closed", "abc"); err == nil || ds[0].Attempts < 2 || ds[0].Delivered {
		t.Fatalf("unacknowledged event: %v %+v", err, ds)
	}
}

func TestAdminEndpoints(t *testing.T) {
	e := New(Options{})
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	a := &client{t: t, base: srv.URL}
	resp, b := a.do("POST", "/_sandbox/generate", map[string]any{"count": 300, "seed": 3}, nil)
	var gen map[string]int
	if resp.StatusCode != 200 || json.Unmarshal(b, &gen) != nil || gen["accounts"] != 300 || gen["orders"] == 0 {
		t.Fatalf("generate: %d %s", resp.StatusCode, b)
	}
	resp, b = a.do("POST", "/_sandbox/accounts", Account{EmailAddress: "new@example.com", IsActive: true}, nil)
	var acc Account
	if resp.StatusCode != 200 || json.Unmarshal(b, &acc) != nil || acc.ID != 1301 {
		t.Fatalf("create account: %d %s", resp.StatusCode, b)
	}
	if resp, _ = a.do("POST", "/_sandbox/accounts/1301/active", map[string]bool{"active": false}, nil); resp.StatusCode != 200 {
		t.Fatalf("deactivate: %d", resp.StatusCode)
	}
	if got, _ := e.Account(1301); got.IsActive {
		t.Fatal("account still active")
	}
	resp, b = a.do("POST", "/_sandbox/orders", Order{CustomerAccountID: 1301, Total: 25}, nil)
	var ord Order
	if resp.StatusCode != 200 || json.Unmarshal(b, &ord) != nil {
		t.Fatalf("order: %d %s", resp.StatusCode, b)
	}
	if resp, _ = a.do("POST", "/_sandbox/orders/"+ord.ID+"/refund", map[string]float64{"amount": 5}, nil); resp.StatusCode != 200 {
		t.Fatalf("refund: %d", resp.StatusCode)
	}
	if got, _ := e.Account(1301); got.CommerceSummary.TotalOrderAmount.Amount != 20 {
		t.Fatalf("summary after refund %+v", got.CommerceSummary)
	}
	for _, bad := range []struct{ path, body string }{
		{"/_sandbox/generate", `{"count":-1}`}, {"/_sandbox/accounts", `{"id":"x"}`},
		{"/_sandbox/orders/nope/refund", `{"amount":1}`}, {"/_sandbox/webhooks", `{}`},
	} {
		resp, err := http.Post(srv.URL+bad.path, "application/json", bytes.NewBufferString(bad.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("%s %s: %d, want an error", bad.path, bad.body, resp.StatusCode)
		}
	}
	resp, b = a.do("GET", "/_sandbox/state", nil, nil)
	var st map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(b, &st) != nil || st["accounts"].(float64) != 301 {
		t.Fatalf("state: %s", b)
	}
	if resp, _ = a.do("POST", "/_sandbox/reset", nil, nil); resp.StatusCode != 204 || len(e.Accounts()) != 0 {
		t.Fatalf("reset: %d, %d accounts left", resp.StatusCode, len(e.Accounts()))
	}
}
