package mailchimptest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

type client struct {
	t    *testing.T
	base string
	key  string
}

func (c client) do(method, path string, body any) (int, map[string]any, http.Header) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if c.key != "" {
		req.SetBasicAuth("anystring", c.key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		_ = json.Unmarshal(b, &out)
	}
	return resp.StatusCode, out, resp.Header
}

func setup(t *testing.T, opts Options) (*Emulator, client, string) {
	e := New(opts)
	srv := e.Start()
	t.Cleanup(srv.Close)
	return e, client{t, srv.URL, e.APIKey()}, e.CreateList("Acme Customers")
}

func TestAuth(t *testing.T) {
	e, c, _ := setup(t, Options{})
	revoked := e.AccessToken()
	e.Revoke(revoked)
	tests := []struct {
		name, key, title string
		status           int
	}{
		{"valid key", e.APIKey(), "", 200},
		{"missing", "", "API Key Missing", 401},
		{"unknown", "0123456789abcdef0123456789abcdef-us6", "API Key Invalid", 401},
		{"revoked", revoked, "API Key Invalid", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.key = tt.key
			status, body, h := c.do("GET", "/3.0/ping", nil)
			if status != tt.status {
				t.Fatalf("status %d, want %d", status, tt.status)
			}
			if tt.title == "" {
				return
			}
			if body["title"] != tt.title || body["instance"] != h.Get("X-Request-Id") || body["type"] != errorType {
				t.Errorf("body %v, headers %v", body, h)
			}
			if h.Get("Content-Type") != "application/problem+json; charset=utf-8" {
				t.Errorf("content type %q", h.Get("Content-Type"))
			}
		})
	}
}

func TestConsentRules(t *testing.T) {
	tests := []struct {
		name      string
		seed      *Member
		opts      Options
		body      map[string]any
		status    int
		title     string
		want      string // member status after
		forgotten bool
	}{
		{name: "new with status_if_new", body: map[string]any{"status_if_new": "subscribed"}, status: 200, want: "subscribed"},
		{name: "new without status", body: map[string]any{}, status: 400, title: "Invalid Resource"},
		{name: "existing keeps status with status_if_new", seed: &Member{Status: "transactional"},
			body: map[string]any{"status_if_new": "subscribed"}, status: 200, want: "transactional"},
		{name: "contact unsubscribe refuses subscribe", seed: &Member{Status: "unsubscribed", UnsubscribedBy: ByContact},
			body: map[string]any{"status": "subscribed"}, status: 400, title: "Member In Compliance State", want: "unsubscribed"},
		{name: "api unsubscribe refused by default", seed: &Member{Status: "unsubscribed", UnsubscribedBy: ByAPI},
			body: map[string]any{"status": "subscribed"}, status: 400, title: "Member In Compliance State", want: "unsubscribed"},
		{name: "api unsubscribe allowed when configured", seed: &Member{Status: "unsubscribed", UnsubscribedBy: ByAPI},
			opts: Options{AllowAPIResubscribe: true}, body: map[string]any{"status": "subscribed"}, status: 200, want: "subscribed"},
		{name: "cleaned refuses subscribe", seed: &Member{Status: "cleaned"},
			body: map[string]any{"status": "subscribed"}, status: 400, title: "Member In Compliance State", want: "cleaned"},
		{name: "unsubscribed to pending allowed", seed: &Member{Status: "unsubscribed"},
			body: map[string]any{"status": "pending"}, status: 200, want: "pending"},
		{name: "archived stays with status_if_new", seed: &Member{Status: "archived"},
			body: map[string]any{"status_if_new": "subscribed"}, status: 200, want: "archived"},
		{name: "archived restored with status", seed: &Member{Status: "archived"},
			body: map[string]any{"status": "transactional"}, status: 200, want: "transactional"},
		{name: "forgotten", forgotten: true, body: map[string]any{"status_if_new": "subscribed"}, status: 400, title: "Forgotten Email Not Subscribed"},
		{name: "fake address", body: map[string]any{"status_if_new": "subscribed", "email_address": "test@mailinator.com"},
			status: 400, title: "Invalid Resource"},
		{name: "unknown merge field", body: map[string]any{"status_if_new": "subscribed", "merge_fields": map[string]any{"NOPE": "x"}},
			status: 400, title: "Invalid Resource"},
		{name: "incomplete address", body: map[string]any{"status_if_new": "subscribed", "merge_fields": map[string]any{"ADDRESS": map[string]any{"addr1": "1 Main"}}},
			status: 400, title: "Invalid Resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, c, id := setup(t, tt.opts)
			email := "jane.doe@acme-books.com"
			if tt.seed != nil {
				tt.seed.Email = email
				if err := e.Seed(id, *tt.seed); err != nil {
					t.Fatal(err)
				}
			}
			if tt.forgotten {
				_ = e.Seed(id, Member{Email: email, Status: "subscribed"})
				if s, _, _ := c.do("POST", "/3.0/lists/"+id+"/members/"+Hash(email)+"/actions/delete-permanent", nil); s != 204 {
					t.Fatalf("delete-permanent: %d", s)
				}
			}
			if _, ok := tt.body["email_address"]; ok {
				email = tt.body["email_address"].(string)
			} else {
				tt.body["email_address"] = email
			}
			status, body, _ := c.do("PUT", "/3.0/lists/"+id+"/members/"+Hash(email), tt.body)
			if status != tt.status || (tt.title != "" && body["title"] != tt.title) {
				t.Fatalf("got %d %v, want %d %q", status, body, tt.status, tt.title)
			}
			m, ok := e.Member(id, email)
			if tt.want == "" {
				if ok && tt.seed == nil {
					t.Fatalf("member created: %+v", m)
				}
				return
			}
			if m.Status != tt.want {
				t.Errorf("status %q, want %q", m.Status, tt.want)
			}
		})
	}
}

func TestBatchSubscribe(t *testing.T) {
	e, c, id := setup(t, Options{})
	_ = e.Seed(id, Member{Email: "gone@acme-books.com", Status: "unsubscribed"},
		Member{Email: "old@acme-books.com", Status: "transactional"})
	status, body, _ := c.do("POST", "/3.0/lists/"+id, map[string]any{"update_existing": true, "members": []any{
		map[string]any{"email_address": "new@acme-books.com", "status_if_new": "subscribed", "merge_fields": map[string]any{"FNAME": "N"}},
		map[string]any{"email_address": "old@acme-books.com", "status_if_new": "subscribed", "merge_fields": map[string]any{"FNAME": "O"}},
		map[string]any{"email_address": "gone@acme-books.com", "status": "subscribed"},
		map[string]any{"email_address": "fake@acme-books.com", "status_if_new": "subscribed"},
		map[string]any{"email_address": "bad@", "status_if_new": "subscribed"},
	}})
	if status != 200 {
		t.Fatalf("status %d %v", status, body)
	}
	if body["total_created"] != 1.0 || body["total_updated"] != 1.0 || body["error_count"] != 3.0 {
		t.Fatalf("counts %v", body)
	}
	if m, _ := e.Member(id, "old@acme-books.com"); m.Status != "transactional" || m.MergeFields["FNAME"] != "O" {
		t.Errorf("existing member %+v", m)
	}
	if m, _ := e.Member(id, "gone@acme-books.com"); m.Status != "unsubscribed" {
		t.Errorf("unsubscribed member re-subscribed: %+v", m)
	}
	status, body, _ = c.do("POST", "/3.0/lists/"+id, map[string]any{"members": []any{
		map[string]any{"email_address": "old@acme-books.com", "status": "subscribed"}}})
	errs, _ := body["errors"].([]any)
	if status != 200 || len(errs) != 1 || errs[0].(map[string]any)["error_code"] != "ERROR_CONTACT_EXISTS" {
		t.Errorf("without update_existing: %d %v", status, body)
	}
	many := make([]any, 501)
	for i := range many {
		many[i] = map[string]any{"email_address": sandbox.EmailFor("a", "b", i), "status": "subscribed"}
	}
	if status, _, _ := c.do("POST", "/3.0/lists/"+id, map[string]any{"members": many}); status != 400 {
		t.Errorf("501 members: status %d", status)
	}
}

func TestMembersFilterAndFields(t *testing.T) {
	e, c, id := setup(t, Options{})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	_ = e.Seed(id, Member{Email: "a@acme-books.com", Status: "unsubscribed", LastChanged: t0},
		Member{Email: "b@acme-books.com", Status: "unsubscribed", LastChanged: t0.Add(time.Hour)},
		Member{Email: "c@acme-books.com", Status: "subscribed", LastChanged: t0.Add(time.Hour)},
		Member{Email: "d@acme-books.com", Status: "archived"})
	q := url.Values{"status": {"unsubscribed"}, "since_last_changed": {"2026-01-01T00:00:00+00:00"},
		"fields": {"members.email_address,total_items"}, "count": {"1000"}}
	status, body, _ := c.do("GET", "/3.0/lists/"+id+"/members?"+q.Encode(), nil)
	ms, _ := body["members"].([]any)
	if status != 200 || body["total_items"] != 1.0 || len(ms) != 1 || len(ms[0].(map[string]any)) != 1 ||
		ms[0].(map[string]any)["email_address"] != "b@acme-books.com" {
		t.Fatalf("filtered: %d %v", status, body)
	}
	if _, body, _ = c.do("GET", "/3.0/lists/"+id+"/members?count=1000", nil); body["total_items"] != 3.0 {
		t.Errorf("unfiltered total %v, want 3 (archived hidden)", body["total_items"])
	}
	if status, _, _ = c.do("GET", "/3.0/lists/"+id+"/members?count=1001", nil); status != 400 {
		t.Errorf("count 1001: %d", status)
	}
}

func TestTagsAndSegments(t *testing.T) {
	e, c, id := setup(t, Options{})
	_ = e.Seed(id, Member{Email: "a@acme-books.com", Status: "subscribed"})
	if s, _, _ := c.do("POST", "/3.0/lists/"+id+"/members/"+Hash("a@acme-books.com")+"/tags",
		map[string]any{"tags": []any{map[string]any{"name": "VIP", "status": "active"}}}); s != 204 {
		t.Fatalf("tags: %d", s)
	}
	_, body, _ := c.do("GET", "/3.0/lists/"+id+"/segments?type=static", nil)
	segs := body["segments"].([]any)
	if len(segs) != 1 {
		t.Fatalf("segments %v", body)
	}
	sid := segs[0].(map[string]any)["id"].(float64)
	status, body, _ := c.do("POST", "/3.0/lists/"+id+"/segments/"+jsonNum(sid),
		map[string]any{"members_to_remove": []string{"a@acme-books.com"}, "members_to_add": []string{"nobody@acme-books.com"}})
	if status != 200 || body["total_removed"] != 1.0 || body["error_count"] != 1.0 {
		t.Fatalf("batch segment %d %v", status, body)
	}
	if m, _ := e.Member(id, "a@acme-books.com"); len(m.Tags) != 0 {
		t.Errorf("tags %v", m.Tags)
	}
	if s, _, _ := c.do("POST", "/3.0/lists/"+id+"/members/"+Hash("x@acme-books.com")+"/tags",
		map[string]any{"tags": []any{}}); s != 404 {
		t.Errorf("unknown member tags: %d", s)
	}
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }

func TestConnectionLimit(t *testing.T) {
	e, c, _ := setup(t, Options{MaxConnections: 2})
	e.Sandbox().SetFaults(sandbox.Faults{Latency: sandbox.Duration{Duration: 200 * time.Millisecond}})
	var wg sync.WaitGroup
	codes := make(chan int, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, _, h := c.do("GET", "/3.0/ping", nil)
			if s == 429 && h.Get("Retry-After") != "" {
				t.Error("the connection limit sends no Retry-After")
			}
			codes <- s
		}()
	}
	wg.Wait()
	close(codes)
	n429 := 0
	for s := range codes {
		if s == 429 {
			n429++
		}
	}
	if n429 != 3 {
		t.Errorf("%d of 5 concurrent requests throttled, want 3", n429)
	}
}

func TestWebhookOnContactUnsubscribe(t *testing.T) {
	e, c, id := setup(t, Options{})
	got := make(chan url.Values, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			_ = r.ParseForm()
			got <- r.PostForm
		}
	}))
	defer hook.Close()
	if s, b, _ := c.do("POST", "/3.0/lists/"+id+"/webhooks", map[string]any{"url": hook.URL + "/hook/secret"}); s != 200 {
		t.Fatalf("create webhook: %d %v", s, b)
	}
	_ = e.Seed(id, Member{Email: "a@acme-books.com", Status: "subscribed"})
	if err := e.ContactUnsubscribe(id, "a@acme-books.com"); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-got:
		if v.Get("type") != "unsubscribe" || v.Get("data[email]") != "a@acme-books.com" || v.Get("data[list_id]") != id {
			t.Errorf("payload %v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook delivered")
	}
}

func TestOAuth(t *testing.T) {
	e, c, _ := setup(t, Options{})
	code := e.IssueAuthCode()
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {"id"}, "client_secret": {"s"}, "code": {code}}
	resp, err := http.PostForm(c.base+"/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok["expires_in"] != 0.0 || tok["access_token"] == "" {
		t.Fatalf("token %v", tok)
	}
	if resp, _ := http.PostForm(c.base+"/oauth2/token", form); resp.StatusCode != 400 {
		t.Errorf("code reused: %d", resp.StatusCode)
	}
	c.key = ""
	req, _ := http.NewRequest("GET", c.base+"/3.0/ping", nil)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 200 {
		t.Errorf("bearer token: %d", resp.StatusCode)
	}
}
