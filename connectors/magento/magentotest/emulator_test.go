package magentotest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dghubble/oauth1"
)

type result struct {
	Items []struct {
		ID int64 `json:"id"`
	} `json:"items"`
	TotalCount int `json:"total_count"`
}

// setup serves an emulator with five customers; with validate, its traffic
// is checked against the vendor's OpenAPI document.
func setup(t *testing.T, o Options, validate bool) (*Emulator, *httptest.Server) {
	t.Helper()
	o.BearerAllowed = true
	e := New(o)
	for i, name := range []string{"ann", "bob", "cy", "dee", "eve"} {
		c := Customer{Email: name + "@example.com", Firstname: strings.ToUpper(name), Lastname: "Test", GroupID: i % 2}
		if _, err := e.UpsertCustomer(c, i%2 == 0); err != nil {
			t.Fatal(err)
		}
	}
	var h http.Handler = e.Handler()
	router, err := SpecRouter()
	switch {
	case errors.Is(err, ErrNoSpec):
		t.Log("shared/apispecs not found: responses are not validated against the spec")
	case err != nil:
		t.Fatal(err)
	case validate:
		h = Validating(router, h, func(err error) { t.Errorf("spec: %v", err) })
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return e, srv
}

func get(t *testing.T, srv *httptest.Server, path string, q url.Values, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path+"?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func TestSearchCriteria(t *testing.T) {
	_, srv := setup(t, Options{}, true)
	f := func(kv ...string) url.Values {
		q := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		return q
	}
	g := "searchCriteria[filter_groups][0][filters][0]"
	for _, tc := range []struct {
		name string
		q    url.Values
		want []int64
	}{
		{"all, by id", f(), []int64{1, 2, 3, 4, 5}},
		{"eq default, case-insensitive", f(g+"[field]", "email", g+"[value]", "BOB@example.com"), []int64{2}},
		{"neq", f(g+"[field]", "group_id", g+"[value]", "0", g+"[condition_type]", "neq"), []int64{2, 4}},
		{"in", f(g+"[field]", "entity_id", g+"[value]", "1,3,9", g+"[condition_type]", "in"), []int64{1, 3}},
		{"nin", f(g+"[field]", "entity_id", g+"[value]", "1,3", g+"[condition_type]", "nin"), []int64{2, 4, 5}},
		{"gt numeric", f(g+"[field]", "entity_id", g+"[value]", "3", g+"[condition_type]", "gt"), []int64{4, 5}},
		{"lteq", f(g+"[field]", "entity_id", g+"[value]", "2", g+"[condition_type]", "lteq"), []int64{1, 2}},
		{"like", f(g+"[field]", "email", g+"[value]", "%e%@%", g+"[condition_type]", "like"), []int64{4, 5}},
		{"null", f(g+"[field]", "confirmation", g+"[condition_type]", "null"), []int64{1, 2, 3, 4, 5}},
		{"notnull", f(g+"[field]", "email", g+"[condition_type]", "notnull"), []int64{1, 2, 3, 4, 5}},
		{"camelCase, OR within a group", f("searchCriteria[filterGroups][0][filters][0][field]", "firstname", "searchCriteria[filterGroups][0][filters][0][value]", "ANN",
			"searchCriteria[filterGroups][0][filters][1][field]", "firstname", "searchCriteria[filterGroups][0][filters][1][value]", "eve"), []int64{1, 5}},
		{"AND across groups, from/to", f(g+"[field]", "entity_id", g+"[value]", "2", g+"[condition_type]", "from",
			"searchCriteria[filter_groups][1][filters][0][field]", "entity_id", "searchCriteria[filter_groups][1][filters][0][value]", "4",
			"searchCriteria[filter_groups][1][filters][0][condition_type]", "to"), []int64{2, 3, 4}},
		{"sort DESC", f("searchCriteria[sortOrders][0][field]", "entity_id", "searchCriteria[sortOrders][0][direction]", "DESC"), []int64{5, 4, 3, 2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r result
			if code := get(t, srv, "/rest/default/V1/customers/search", tc.q, &r); code != 200 {
				t.Fatalf("HTTP %d", code)
			}
			var ids []int64
			for _, it := range r.Items {
				ids = append(ids, it.ID)
			}
			if r.TotalCount != len(tc.want) || len(ids) != len(tc.want) {
				t.Fatalf("got %v (total %d), want %v", ids, r.TotalCount, tc.want)
			}
			for i := range ids {
				if ids[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", ids, tc.want)
				}
			}
		})
	}
}

func TestPagingModes(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		page string
		want []int64
		code int
	}{
		{Options{}, "2", []int64{3, 4}, 200},
		{Options{}, "9", []int64{5}, 200}, // legacy: the last page again
		{Options{Paging: PagingEmpty}, "9", nil, 200},
		{Options{InputLimits: true}, "1", []int64{1, 2}, 200},
	} {
		_, srv := setup(t, tc.opts, true)
		var r result
		q := url.Values{"searchCriteria[pageSize]": {"2"}, "searchCriteria[currentPage]": {tc.page}}
		if code := get(t, srv, "/rest/all/V1/customers/search", q, &r); code != tc.code || r.TotalCount != 5 || len(r.Items) != len(tc.want) {
			t.Fatalf("%+v page %s: HTTP %d, %+v", tc.opts, tc.page, code, r)
		}
		for i, it := range r.Items {
			if it.ID != tc.want[i] {
				t.Fatalf("%+v page %s: got %+v want %v", tc.opts, tc.page, r.Items, tc.want)
			}
		}
	}
	_, srv := setup(t, Options{InputLimits: true}, true)
	var e apiError
	if code := get(t, srv, "/rest/all/V1/customers/search", url.Values{"searchCriteria[pageSize]": {"301"}}, &e); code != 400 || e.Message == "" {
		t.Fatalf("page size over 300 with input limits: HTTP %d %+v", code, e)
	}
}

func TestErrorBodies(t *testing.T) {
	_, srv := setup(t, Options{}, false) // requests off the spec on purpose
	for _, tc := range []struct {
		method, path, body string
		code               int
		msg                string
		params             string
	}{
		{"GET", "/rest/default/V1/customers/999", "", 404, "No such entity with %fieldName = %fieldValue", `{"fieldName":"customerId","fieldValue":"999"}`},
		{"GET", "/rest/default/V1/nothing", "", 404, "Request does not match any route.", ``},
		{"PUT", "/rest/default/V1/customers/1", `{"customer":{"email":"ann@example.com","lastname":"T"}}`, 400, "\"%fieldName\" is required. Enter and try again.", `{"fieldName":"firstname"}`},
		{"PUT", "/rest/default/V1/customers/1", `{"customer":`, 400, "Decoding error: %1", ``},
		{"GET", "/rest/nostore/V1/customers/1", "", 400, "The store that was requested wasn't found. Verify the store and try again.", ``},
		{"GET", "/rest/default/V1/customers/search?searchCriteria[filter_groups][0][filters][0][field]=shoe_size&searchCriteria[filter_groups][0][filters][0][value]=9", "", 400, "Invalid attribute name: %1", `["shoe_size"]`},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Message    string          `json:"message"`
			Parameters json.RawMessage `json:"parameters"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || body.Message != tc.msg || (tc.params != "" && string(body.Parameters) != tc.params) {
			t.Errorf("%s %s: HTTP %d %q %s; want %d %q %s", tc.method, tc.path, resp.StatusCode, body.Message, body.Parameters, tc.code, tc.msg, tc.params)
		}
	}
}

func TestOAuthAndTokens(t *testing.T) {
	e, srv := setup(t, Options{}, true)
	e.SetOptions(Options{}) // Bearer off (the default since 2.4.4)
	signed := func(secret string, signer oauth1.Signer) *http.Client {
		cfg := &oauth1.Config{ConsumerKey: ConsumerKey, ConsumerSecret: secret, Signer: signer}
		return cfg.Client(context.Background(), oauth1.NewToken(AccessToken, AccessTokenSecret))
	}
	path := srv.URL + "/rest/default/V1/customers/search?searchCriteria[pageSize]=1&searchCriteria[currentPage]=1"
	for _, tc := range []struct {
		name   string
		client *http.Client
		code   int
	}{
		{"HMAC-SHA256", signed(ConsumerSecret, &oauth1.HMAC256Signer{ConsumerSecret: ConsumerSecret}), 200},
		{"HMAC-SHA1", signed(ConsumerSecret, &oauth1.HMACSigner{ConsumerSecret: ConsumerSecret}), 200},
		{"wrong secret", signed("nope", &oauth1.HMAC256Signer{ConsumerSecret: "nope"}), 401},
		{"bearer while disabled", &http.Client{Transport: bearer{}}, 401},
		{"no credentials", http.DefaultClient, 401},
	} {
		resp, err := tc.client.Get(path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s: HTTP %d, want %d", tc.name, resp.StatusCode, tc.code)
		}
	}
	// A replayed signed request (same nonce) is refused.
	req, _ := http.NewRequest("GET", path, nil)
	var header string
	capture := signed(ConsumerSecret, &oauth1.HMAC256Signer{ConsumerSecret: ConsumerSecret})
	capture.Transport.(*oauth1.Transport).Base = roundTrip(func(r *http.Request) (*http.Response, error) {
		header = r.Header.Get("Authorization")
		return http.DefaultTransport.RoundTrip(r)
	})
	resp, _ := capture.Do(req)
	resp.Body.Close()
	replay, _ := http.NewRequest("GET", path, nil)
	replay.Header.Set("Authorization", header)
	resp, _ = http.DefaultClient.Do(replay)
	var body apiError
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(body.Message, "nonce") {
		t.Fatalf("replayed nonce: HTTP %d %+v", resp.StatusCode, body)
	}
	// Admin tokens last 4 hours.
	clock := time.Now()
	e.SetOptions(Options{Now: func() time.Time { return clock }})
	resp, _ = http.Post(srv.URL+"/rest/V1/integration/admin/token", "application/json", strings.NewReader(`{"username":"admin","password":"admin123"}`))
	var tok string
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	for _, tc := range []struct {
		after time.Duration
		code  int
	}{{time.Hour, 200}, {4*time.Hour + time.Second, 401}} {
		clock = time.Now().Add(tc.after)
		e.SetOptions(Options{Now: func() time.Time { return clock }})
		req, _ := http.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, _ := http.DefaultClient.Do(req)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Fatalf("admin token after %v: HTTP %d, want %d", tc.after, resp.StatusCode, tc.code)
		}
	}
}

type bearer struct{}

func (bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+AccessToken)
	return http.DefaultTransport.RoundTrip(r)
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestGenerateIsRealistic(t *testing.T) {
	e := New(Options{})
	e.Generate(500, 3)
	cs, orders := e.Customers(), e.Orders()
	var noEmail, inactive, subscribed, guest, canceled, refunded int
	for _, c := range cs {
		if c.Customer.Email == "" {
			noEmail++
		}
		if c.Customer.Confirmation != "" {
			inactive++
		}
		if c.Subscribed {
			subscribed++
		}
	}
	for _, o := range orders {
		switch {
		case o.CustomerID == nil:
			guest++
		case o.State == "canceled":
			canceled++
		case o.TotalRefunded > 0:
			refunded++
		}
	}
	if len(cs) != 500 || noEmail == 0 || inactive == 0 || subscribed == 0 || guest == 0 || canceled == 0 || refunded == 0 {
		t.Fatalf("customers %d: no email %d, inactive %d, subscribed %d; orders %d: guest %d, canceled %d, refunded %d",
			len(cs), noEmail, inactive, subscribed, len(orders), guest, canceled, refunded)
	}
}
