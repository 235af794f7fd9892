package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-logr/logr"

	"github.com/contactsync/contactsync/connectors"
)

// tokenReceiver accepts requests whose X-Token header is its token, and
// reads the body as "accounts:<id>" or "contact:<email>".
type tokenReceiver struct{ token string }

func (t tokenReceiver) VerifyWebhook(r *http.Request, _ []byte) error {
	if r.Header.Get("X-Token") != t.token {
		return errors.New("bad token")
	}
	return nil
}

func (t tokenReceiver) ParseWebhook(_ *http.Request, body []byte) (connectors.WebhookEvent, error) {
	kind, val, ok := strings.Cut(string(body), ":")
	switch {
	case !ok:
		return connectors.WebhookEvent{}, errors.New("malformed")
	case kind == "accounts":
		return connectors.WebhookEvent{Accounts: []string{val}}, nil
	case kind == "contact":
		return connectors.WebhookEvent{Contacts: []connectors.Contact{{Email: val}}}, nil
	}
	return connectors.WebhookEvent{Unsubscribes: []connectors.Unsubscribe{{Email: val}}}, nil
}

type fakeRouter struct {
	candidates []Candidate
	triggered  []string
	pushed     []string
	pushErr    error
}

func (f *fakeRouter) Candidates(context.Context, Side, string) ([]Candidate, error) {
	return f.candidates, nil
}
func (f *fakeRouter) Trigger(_ context.Context, _ Side, c Candidate, _ connectors.WebhookEvent) error {
	f.triggered = append(f.triggered, c.Name)
	return nil
}
func (f *fakeRouter) Push(_ context.Context, c Candidate, cs []connectors.Contact) error {
	if f.pushErr != nil {
		return f.pushErr
	}
	f.pushed = append(f.pushed, c.Name+"/"+cs[0].Email)
	return nil
}

func TestReceiver(t *testing.T) {
	cases := []struct {
		name, method, path, token, body string
		pushErr                         error
		maxBody                         int64
		wantStatus                      int
		wantTriggered, wantPushed       []string
	}{
		{name: "verified change triggers the verifying connection only", method: "POST", path: "/webhooks/quickbooks",
			token: "t-b", body: "accounts:123", wantStatus: 200, wantTriggered: []string{"b"}},
		{name: "bad signature is refused", method: "POST", path: "/webhooks/kibo", token: "nope", body: "accounts:1",
			wantStatus: 401},
		{name: "malformed verified payload is a 400", method: "POST", path: "/webhooks/quickbooks", token: "t-a",
			body: "garbage", wantStatus: 400},
		{name: "push is written through before the 2xx", method: "POST", path: "/webhooks/flipcause/abc", token: "t-a",
			body: "contact:d@example.org", wantStatus: 200, wantPushed: []string{"a/d@example.org"}},
		{name: "failed write-through makes the sender retry", method: "POST", path: "/webhooks/flipcause/abc", token: "t-a",
			body: "contact:d@example.org", pushErr: errors.New("target down"), wantStatus: 503},
		{name: "mailchimp URL check", method: "GET", path: "/webhooks/mailchimp/abc", wantStatus: 200},
		{name: "mailchimp unsubscribe triggers the target's syncs", method: "POST", path: "/webhooks/mailchimp/abc",
			token: "t-a", body: "unsub:x@example.org", wantStatus: 200, wantTriggered: []string{"a"}},
		{name: "oversized body", method: "POST", path: "/webhooks/quickbooks", token: "t-a", body: "accounts:" + strings.Repeat("9", 100),
			maxBody: 50, wantStatus: 413},
		{name: "unknown provider", method: "POST", path: "/webhooks/salesforce", token: "t-a", body: "accounts:1", wantStatus: 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			router := &fakeRouter{pushErr: tc.pushErr, candidates: []Candidate{
				{Namespace: "ns", Name: "a", Receiver: tokenReceiver{"t-a"}},
				{Namespace: "ns", Name: "b", Receiver: tokenReceiver{"t-b"}},
			}}
			srv := &Server{Router: router, Log: logr.Discard(), MaxBody: tc.maxBody}
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			req.Header.Set("X-Token", tc.token)
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			if strings.Join(router.triggered, ",") != strings.Join(tc.wantTriggered, ",") {
				t.Errorf("triggered %v, want %v", router.triggered, tc.wantTriggered)
			}
			if strings.Join(router.pushed, ",") != strings.Join(tc.wantPushed, ",") {
				t.Errorf("pushed %v, want %v", router.pushed, tc.wantPushed)
			}
		})
	}
}
