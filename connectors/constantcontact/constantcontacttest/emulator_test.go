package constantcontacttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// client is a bare HTTP client of the emulator, written from the vendor's
// documentation like the emulator itself.
type client struct {
	t     *testing.T
	base  string
	token string
}

func setup(t *testing.T, o Options) (*Emulator, *client) {
	o.RequestsPerSecond, o.TokenRequestsPerSecond = -1, -1
	o.ActivityDuration = func(int) time.Duration { return 0 }
	e := New(o)
	srv := e.Start()
	t.Cleanup(srv.Close)
	c := &client{t: t, base: srv.URL}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {e.IssueRefreshToken()}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+TokenPath+"?"+form.Encode(), nil)
	req.SetBasicAuth(e.ClientID(), "cc-emulator-secret")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if code := c.send(req, &tok); code != http.StatusOK {
		t.Fatalf("token: HTTP %d", code)
	}
	c.token = tok.AccessToken
	return e, c
}

func (c *client) send(req *http.Request, out any) int {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		_ = json.Unmarshal(b, out)
	}
	return resp.StatusCode
}

func (c *client) do(method, path string, body any, out any) int {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req, out)
}

func TestRefreshTokenRotates(t *testing.T) {
	e, c := setup(t, Options{})
	rt := e.IssueRefreshToken()
	refresh := func() (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, c.base+TokenPath,
			strings.NewReader(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(e.ClientID(), "cc-emulator-secret")
		var body map[string]any
		return c.send(req, &body), body
	}
	if code, body := refresh(); code != http.StatusOK || body["refresh_token"] == rt || body["expires_in"] != float64(86400) {
		t.Fatalf("first refresh: %d %v", code, body)
	}
	code, body := refresh()
	if code != http.StatusBadRequest || body["error"] != "invalid_grant" || body["error_description"] != msgInvalidGrant {
		t.Errorf("reused refresh token: %d %v, want the documented invalid_grant", code, body)
	}
}

func TestAPIRefusals(t *testing.T) {
	e, c := setup(t, Options{})
	listID := e.CreateList("L")
	if err := e.Seed(SeedContact{Email: "self@example.com", Permission: PermUnsubscribe, OptOutSource: "Contact"},
		SeedContact{Email: "acct@example.com", Permission: PermUnsubscribe, OptOutSource: "Account"}); err != nil {
		t.Fatal(err)
	}
	self, _ := e.Contact("self@example.com")
	acct, _ := e.Contact("acct@example.com")
	put := func(id, email string) map[string]any {
		return map[string]any{"update_source": "Account", "email_address": map[string]any{"address": email, "permission_to_send": "explicit"}}
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		want   int
	}{
		{"PUT cannot opt back in a contact who unsubscribed himself", http.MethodPut, "/v3/contacts/" + self.ID, put(self.ID, self.Email), 400},
		{"PUT may opt back in a contact the account unsubscribed", http.MethodPut, "/v3/contacts/" + acct.ID, put(acct.ID, acct.Email), 200},
		{"PUT needs update_source", http.MethodPut, "/v3/contacts/" + acct.ID, map[string]any{"email_address": map[string]any{"address": acct.Email}}, 400},
		{"POST needs create_source", http.MethodPost, "/v3/contacts", map[string]any{"email_address": map[string]any{"address": "n@example.com"}}, 400},
		{"POST of an existing email", http.MethodPost, "/v3/contacts", map[string]any{"create_source": "Account", "email_address": map[string]any{"address": "SELF@example.com"}}, 409},
		{"duplicate list name", http.MethodPost, "/v3/contact_lists", map[string]any{"name": "L"}, 409},
		{"sign_up_form needs lists", http.MethodPost, "/v3/contacts/sign_up_form", map[string]any{"email_address": "x@example.com"}, 400},
		{"unknown list in import", http.MethodPost, "/v3/activities/contacts_json_import", map[string]any{"import_data": []any{map[string]string{"email": "i@example.com"}}, "list_ids": []string{"nope"}}, 400},
		{"import", http.MethodPost, "/v3/activities/contacts_json_import", map[string]any{"import_data": []any{map[string]string{"email": "self@example.com", "first_name": "S"}, map[string]string{"email": "i@example.com"}}, "list_ids": []string{listID}}, 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if code := c.do(tc.method, tc.path, tc.body, &body); code != tc.want {
				t.Fatalf("HTTP %d, want %d: %v", code, tc.want, body)
			}
			if tc.want >= 400 {
				if arr, ok := body.([]any); !ok || len(arr) == 0 || arr[0].(map[string]any)["error_key"] == "" {
					t.Errorf("error body %v is not the documented array", body)
				}
			}
		})
	}
	// The import kept the unsubscribed contact out of the list and its permission.
	if c, _ := e.Contact("self@example.com"); c.Permission != PermUnsubscribe || len(c.Lists) != 0 || c.FirstName != "S" {
		t.Errorf("imported unsubscribed contact = %+v", c)
	}
	if c, _ := e.Contact("i@example.com"); c.Permission != PermImplicit || c.OptInSource != "Account" {
		t.Errorf("imported new contact = %+v, want implicit from Account", c)
	}
	e.ExpireAccessTokens()
	var body map[string]string
	if code := c.do(http.MethodGet, "/v3/contact_lists", nil, &body); code != 401 || body["error_key"] != "unauthorized" {
		t.Errorf("expired token: %d %v, want the documented 401 object", code, body)
	}
}

func TestImportCaps(t *testing.T) {
	e, c := setup(t, Options{})
	listID := e.CreateList("L")
	pad := strings.Repeat("p", 200)
	var rows []map[string]string
	for i := range 20000 { // about 5 MB: the rows past 4 MB are dropped
		rows = append(rows, map[string]string{"email": fmt.Sprintf("c%d@example.com", i), "street": pad})
	}
	if code := c.do(http.MethodPost, "/v3/activities/contacts_json_import", map[string]any{"import_data": rows, "list_ids": []string{listID}}, nil); code != 201 {
		t.Fatalf("import: HTTP %d", code)
	}
	n := len(e.Contacts())
	if n == 0 || n >= len(rows) {
		t.Errorf("imported %d of %d rows; want only those within 4 MB", n, len(rows))
	}
}
