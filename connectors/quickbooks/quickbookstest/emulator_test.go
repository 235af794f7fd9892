package quickbookstest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

type client struct {
	t     *testing.T
	srv   *httptest.Server
	emu   *Emulator
	token string
}

func newClient(t *testing.T, o Options) *client {
	e := New(o)
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	return &client{t: t, srv: srv, emu: e, token: e.IssueAccessToken()}
}

func (c *client) do(method, path string, body io.Reader, out any) int {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.srv.URL+path, body)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func (c *client) query(q string) (int, map[string]json.RawMessage) {
	var out struct{ QueryResponse map[string]json.RawMessage }
	status := c.do(http.MethodGet, "/v3/company/"+c.emu.RealmID()+"/query?minorversion=75&query="+url.QueryEscape(q), nil, &out)
	return status, out.QueryResponse
}

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		q   string
		err bool
	}{
		{"SELECT * FROM Customer", false},
		{"select count(*) from Customer where Active = false", false},
		{"SELECT * FROM Customer WHERE MetaData.LastUpdatedTime >= '2024-01-01T00:00:00-07:00' AND Active IN (true,false) ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1001 MAXRESULTS 1000", false},
		{"SELECT * FROM Customer WHERE DisplayName = 'O\\'Neil''s'", false},
		{"SELECT * FROM Customer WHERE Active = true OR Active = false", true},
		{"SELECT DisplayName FROM Customer", true},
		{"SELECT * FROM Customer STARTPOSITION 0", true},
		{"SELECT * FROM Customer WHERE DisplayName = 'open", true},
		{"SELECT * FROM Customer WHERE Id IN ('1',", true},
		{"SELECT * FROM Customer JOIN Invoice", true},
		{"", true},
	} {
		_, err := parseQuery(tc.q)
		if (err != nil) != tc.err {
			t.Errorf("%q: err %v, want error %v", tc.q, err, tc.err)
		}
	}
}

func TestQuerySemantics(t *testing.T) {
	c := newClient(t, Options{})
	c.emu.Generate(2500, 9)
	st := c.emu.State()
	count := func(q string) int {
		_, r := c.query(q)
		var n int
		_ = json.Unmarshal(r["totalCount"], &n)
		return n
	}
	rows := func(q string) []Customer {
		status, r := c.query(q)
		if status != 200 {
			t.Fatalf("%q: status %d", q, status)
		}
		var cs []Customer
		if raw, ok := r["Customer"]; ok {
			_ = json.Unmarshal(raw, &cs)
		}
		return cs
	}
	if got := count("SELECT count(*) FROM Customer"); got != st.Active {
		t.Errorf("default query counts %d, want the %d active ones only", got, st.Active)
	}
	if got := count("SELECT count(*) FROM Customer WHERE Active IN (true,false)"); got != st.Customers {
		t.Errorf("Active IN (true,false) counts %d, want %d", got, st.Customers)
	}
	if got := count("SELECT count(*) FROM Customer WHERE Active = false"); got != st.Customers-st.Active || got == 0 {
		t.Errorf("Active = false counts %d, want %d", got, st.Customers-st.Active)
	}
	if got := len(rows("SELECT * FROM Customer")); got != 100 {
		t.Errorf("default MAXRESULTS gave %d rows, want 100", got)
	}
	if got := len(rows("SELECT * FROM Customer WHERE Active IN (true,false) MAXRESULTS 5000")); got != 1000 {
		t.Errorf("MAXRESULTS 5000 gave %d rows, want the 1000 cap", got)
	}
	all := rows("SELECT * FROM Customer WHERE Active IN (true,false) ORDERBY MetaData.LastUpdatedTime STARTPOSITION 2001 MAXRESULTS 1000")
	if len(all) != 500 {
		t.Errorf("last page has %d rows, want 500", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].MetaData.LastUpdatedTime.Before(all[i-1].MetaData.LastUpdatedTime.Time) {
			t.Fatal("ORDERBY MetaData.LastUpdatedTime is not in order")
		}
	}
	mid := all[250].MetaData.LastUpdatedTime.Time
	newer := rows("SELECT * FROM Customer WHERE Active IN (true,false) AND MetaData.LastUpdatedTime > '" + mid.Format(time.RFC3339) + "' MAXRESULTS 1000")
	for _, x := range newer {
		if !x.MetaData.LastUpdatedTime.After(mid) {
			t.Fatalf("> watermark returned %v", x.MetaData.LastUpdatedTime)
		}
	}
	if status, r := c.query("SELECT * FROM Customer WHERE DisplayName = 'nobody at all'"); status != 200 || len(r) != 0 {
		t.Errorf("empty result: %d %v, want QueryResponse {}", status, r)
	}
	if got := rows("SELECT * FROM Customer WHERE DisplayName LIKE 'Tie%' AND Id IN ('1')"); len(got) != 0 {
		t.Errorf("LIKE matched %d rows", len(got))
	}
	var fault struct{ Fault struct{ Type string } }
	if status := c.do(http.MethodGet, "/v3/company/"+c.emu.RealmID()+"/query?query="+url.QueryEscape("SELECT * FROM Customer WHERE Active = true OR Id = '1'"), nil, &fault); status != 400 || fault.Fault.Type != "ValidationFault" {
		t.Errorf("OR: %d %+v, want a 400 ValidationFault", status, fault)
	}
}

func TestCDCWindowAndCap(t *testing.T) {
	c := newClient(t, Options{CDCMaxObjects: 5})
	for i := range 8 {
		if _, err := c.emu.UpsertCustomer(Customer{DisplayName: "C" + itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	path := func(since time.Time) string {
		return "/v3/company/" + c.emu.RealmID() + "/cdc?entities=Customer,Invoice&changedSince=" + url.QueryEscape(since.Format(time.RFC3339))
	}
	var out struct {
		CDCResponse []struct{ QueryResponse []map[string]json.RawMessage }
	}
	if status := c.do(http.MethodGet, path(c.emu.Now().Add(-time.Hour)), nil, &out); status != 200 {
		t.Fatalf("cdc status %d", status)
	}
	var cs []Customer
	_ = json.Unmarshal(out.CDCResponse[0].QueryResponse[0]["Customer"], &cs)
	if len(cs) != 5 {
		t.Fatalf("CDC returned %d customers, want the cap of 5", len(cs))
	}
	if status := c.do(http.MethodGet, path(c.emu.Now().Add(-31*24*time.Hour)), nil, nil); status != 400 {
		t.Fatalf("31-day-old changedSince: status %d, want 400", status)
	}
}

func TestTokenEndpoint(t *testing.T) {
	c := newClient(t, Options{})
	creds := c.emu.Credentials()
	post := func(form url.Values, user, pass string, hard bool) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, c.srv.URL+TokenPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(user, pass)
		if hard {
			req.Header.Set("x-include-refresh-token-hard-expires-in", "true")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	id, secret := string(creds["client-id"]), string(creds["client-secret"])
	rt := string(creds["refresh-token"])
	if status, out := post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, id, "wrong", false); status != 401 || out["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", status, out)
	}
	status, out := post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, id, secret, true)
	if status != 200 || out["refresh_token"] == rt || out["expires_in"] != 3600.0 || out["x_refresh_token_hard_expires_in"] == nil {
		t.Fatalf("refresh: %d %v, want a rotated token with hard expiry", status, out)
	}
	if status, out := post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, id, secret, false); status != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("reused refresh token: %d %v, want invalid_grant", status, out)
	}
	code := c.emu.AuthorizationCode()
	if status, _ := post(url.Values{"grant_type": {"authorization_code"}, "code": {code}}, id, secret, false); status != 200 {
		t.Fatalf("auth code: %d", status)
	}
	if status, _ := post(url.Values{"grant_type": {"authorization_code"}, "code": {code}}, id, secret, false); status != 400 {
		t.Fatalf("reused auth code: %d, want 400", status)
	}
	// A refresh token unused for 100 days expires.
	latest := out["refresh_token"].(string)
	c.emu.Advance(101 * 24 * time.Hour)
	if status, _ := post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {latest}}, id, secret, false); status != 400 {
		t.Fatalf("idle-expired refresh token: %d, want 400", status)
	}
}

func TestAPIAuthAndWrites(t *testing.T) {
	c := newClient(t, Options{LowercaseAuthFault: true})
	realm := "/v3/company/" + c.emu.RealmID()
	good := c.token
	c.token = "forged"
	var lower map[string]any
	if status := c.do(http.MethodGet, realm+"/companyinfo/"+c.emu.RealmID(), nil, &lower); status != 401 || lower["fault"] == nil {
		t.Fatalf("forged token: %d %v, want a lowercase 401 fault", status, lower)
	}
	c.token = good
	if status := c.do(http.MethodGet, "/v3/company/42/companyinfo/42", nil, nil); status != 403 {
		t.Fatalf("other realm: %d, want 403", status)
	}
	var created struct{ Customer Customer }
	if status := c.do(http.MethodPost, realm+"/customer", strings.NewReader(`{"DisplayName":"Jane Doe","PrimaryEmailAddr":{"Address":"jane@example.com"}}`), &created); status != 200 || created.Customer.SyncToken != "0" {
		t.Fatalf("create: %d %+v", status, created)
	}
	var fault struct {
		Fault struct{ Error []faultError }
	}
	for _, tc := range []struct{ body, query, code string }{
		{`{"DisplayName":"Jane Doe"}`, "", "6240"},
		{`{"Id":"` + created.Customer.Id + `","SyncToken":"7","sparse":true,"Active":false}`, "", "5010"},
		{`{"Id":"` + created.Customer.Id + `","SyncToken":"0"}`, "?operation=delete", "6000"},
	} {
		if status := c.do(http.MethodPost, realm+"/customer"+tc.query, strings.NewReader(tc.body), &fault); status != 400 || fault.Fault.Error[0].Code != tc.code {
			t.Errorf("%s: %d %+v, want code %s", tc.body, status, fault, tc.code)
		}
	}
	var updated struct{ Customer Customer }
	if status := c.do(http.MethodPost, realm+"/customer", strings.NewReader(`{"Id":"`+created.Customer.Id+`","SyncToken":"0","sparse":true,"Active":false}`), &updated); status != 200 ||
		updated.Customer.SyncToken != "1" || updated.Customer.IsActive() || updated.Customer.PrimaryEmailAddr == nil {
		t.Fatalf("sparse deactivate: %d %+v", status, updated.Customer)
	}
}

func TestThrottle(t *testing.T) {
	th := newThrottle(3, 2)
	now := time.Now()
	if !th.enter(now) || !th.enter(now) {
		t.Fatal("first two refused")
	}
	if th.enter(now) {
		t.Fatal("third in flight admitted over the concurrency cap of 2")
	}
	th.leave()
	if !th.enter(now) {
		t.Fatal("refused after a slot freed")
	}
	th.leave()
	th.leave()
	if th.enter(now.Add(30 * time.Second)) {
		t.Fatal("fourth request within the minute admitted over 3/min")
	}
	if !th.enter(now.Add(61 * time.Second)) {
		t.Fatal("refused after the window slid")
	}
}
