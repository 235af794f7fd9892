package quickbooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/quickbooks/quickbookstest"
	"github.com/contactsync/contactsync/connectors/transport"
	"github.com/contactsync/contactsync/internal/sandbox"
)

func TestTokenRotationIsPersistedBeforeUse(t *testing.T) {
	h := newHarness(t, quickbookstest.Options{CompanyName: "Rotating Co"})
	original := h.emu.Credentials()
	acct, err := h.src.Check(context.Background())
	if err != nil || acct.Name != "Rotating Co" || acct.ID != h.emu.RealmID() {
		t.Fatalf("Check = %+v, %v", acct, err)
	}
	if len(h.rotated) != 1 || h.rotated[0].RefreshToken == string(original["refresh-token"]) || h.rotated[0].AccessToken == "" {
		t.Fatalf("rotated tokens %d: want one new refresh token persisted", len(h.rotated))
	}
	// The Secret's token is spent: a connector that ignored the rotation is locked out, with a fix in the message.
	stale := h.connect(t, original, nil, transport.Options{})
	_, err = stale.Check(context.Background())
	if connectors.KindOf(err) != connectors.KindAuth || !strings.Contains(err.Error(), "reconnect") {
		t.Fatalf("stale refresh token: %v, want KindAuth telling to reconnect", err)
	}
	if strings.Contains(err.Error(), string(original["refresh-token"])) || strings.Contains(err.Error(), string(original["client-secret"])) {
		t.Fatal("error message leaks a secret")
	}
	// The stored token supersedes the Secret's.
	stored := h.rotated[0]
	next := h.connect(t, original, &connectors.Token{RefreshToken: stored.RefreshToken}, transport.Options{})
	if _, err := next.Check(context.Background()); err != nil {
		t.Fatalf("stored token: %v", err)
	}
}

func TestExpiredAccessTokenIsRefreshedOnce(t *testing.T) {
	h := newHarness(t, quickbookstest.Options{})
	if _, err := h.src.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.emu.ExpireAccessTokens() // the API answers 401 to the cached token
	if _, err := h.src.Check(context.Background()); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if len(h.rotated) != 2 {
		t.Fatalf("%d refreshes persisted, want 2", len(h.rotated))
	}
	h.emu.RevokeTokens()
	_, err := h.src.Check(context.Background())
	if connectors.KindOf(err) != connectors.KindAuth {
		t.Fatalf("revoked: %v, want KindAuth", err)
	}
}

func TestRotatedTokenKeptWhenPersistingFails(t *testing.T) {
	h := newHarness(t, quickbookstest.Options{})
	fail := true
	spec := &v1alpha1.SourceConnectionSpec{QuickBooks: &v1alpha1.QuickBooksSource{RealmID: h.emu.RealmID()}}
	var persisted []string
	s, err := New(spec, connectors.Config{Endpoint: h.srv.URL, Credentials: h.emu.Credentials(),
		OnTokenRotated: func(_ context.Context, tk connectors.Token) error {
			if fail {
				return errors.New("apiserver unavailable")
			}
			persisted = append(persisted, tk.RefreshToken)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Check(context.Background()); connectors.KindOf(err) != connectors.KindTransient {
		t.Fatalf("persist failure: %v, want a transient error", err)
	}
	fail = false
	if _, err := s.Check(context.Background()); err != nil {
		t.Fatalf("retry after persist failure: %v (the rotated token was lost)", err)
	}
	if len(persisted) != 1 {
		t.Fatalf("persisted %d tokens, want the pending one stored once without a second refresh", len(persisted))
	}
}

func TestErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*quickbookstest.Emulator, *sandbox.Server)
		opts  quickbookstest.Options
		kind  connectors.ErrorKind
		retry bool
	}{
		{"throttle 3001", func(e *quickbookstest.Emulator, s *sandbox.Server) {
			s.SetFaults(sandbox.Faults{FailNext: 100, FailStatus: http.StatusTooManyRequests})
		}, quickbookstest.Options{}, connectors.KindRateLimited, true},
		{"server error", func(e *quickbookstest.Emulator, s *sandbox.Server) {
			s.SetFaults(sandbox.Faults{FailNext: 100, FailStatus: http.StatusServiceUnavailable})
		}, quickbookstest.Options{}, connectors.KindTransient, false},
		{"per-minute limit", nil, quickbookstest.Options{RequestsPerMinute: 1}, connectors.KindRateLimited, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.opts)
			s := h.connect(t, h.emu.Credentials(), nil, transport.Options{MaxRetries: -1})
			if tc.opts.RequestsPerMinute == 1 {
				_, _ = s.Check(context.Background()) // uses the minute's only request
			}
			if tc.setup != nil {
				tc.setup(h.emu, h.emu.Server())
			}
			_, err := s.Check(context.Background())
			if got := connectors.KindOf(err); got != tc.kind {
				t.Fatalf("got %v (%v), want %s", got, err, tc.kind)
			}
			if tc.retry && connectors.RetryAfterOf(err) <= 0 {
				t.Fatalf("%v: no RetryAfter", err)
			}
		})
	}
}

func TestThrottleIsRetriedByTheSharedClient(t *testing.T) {
	h := newHarness(t, quickbookstest.Options{})
	h.emu.Generate(30, 1)
	h.emu.Server().SetFaults(sandbox.Faults{FailNext: 2, FailStatus: http.StatusTooManyRequests})
	pages, _ := h.run(t, h.src, "")
	if n := len(contactsOf(pages)); n != 30 {
		t.Fatalf("got %d contacts after throttles, want 30", n)
	}
}

func TestMalformedPayloads(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		kind       connectors.ErrorKind
	}{
		{"not JSON", "<html>gateway</html>", 200, connectors.KindTransient},
		{"wrong type", `{"QueryResponse":{"Customer":[{"Id":"1","Active":"yes"}]},"time":"2026-01-01T00:00:00Z"}`, 200, connectors.KindTransient},
		{"bad time", `{"QueryResponse":{"Customer":[{"Id":"1","MetaData":{"LastUpdatedTime":"yesterday"}}]}}`, 200, connectors.KindTransient},
		{"fault in a 200", `{"Fault":{"Error":[{"Message":"boom","code":"10000"}],"type":"SystemFault"}}`, 200, connectors.KindTransient},
		{"validation fault", `{"Fault":{"Error":[{"Message":"Error parsing query","Detail":"bad jane@example.com","code":"4000"}],"type":"ValidationFault"}}`, 400, connectors.KindInvalid},
		{"empty 404", ``, 404, connectors.KindNotFound},
		{"lowercase 401 after refresh", `{"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","detail":"Token expired","code":"3200"}],"type":"AUTHENTICATION"}}`, 401, connectors.KindAuth},
		{"403 other company", `{"Fault":{"Error":[{"Message":"message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403","code":"3100"}],"type":"AuthorizationFault"}}`, 403, connectors.KindAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == tokenPath {
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(`{"access_token":"a","refresh_token":"r2","token_type":"bearer","expires_in":3600}`))
					return
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			spec := &v1alpha1.SourceConnectionSpec{QuickBooks: &v1alpha1.QuickBooksSource{RealmID: "123"}}
			s, err := New(spec, connectors.Config{Endpoint: srv.URL, Credentials: map[string][]byte{
				"client-id": []byte("id"), "client-secret": []byte("secret"), "refresh-token": []byte("r1")},
				HTTPClient: transport.NewLimiter(Provider, connectors.Limits{}, transport.Options{MaxRetries: -1}).Client()})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Changes(context.Background(), "", func(connectors.Page) error { return nil })
			if got := connectors.KindOf(err); got != tc.kind {
				t.Fatalf("got %s (%v), want %s", got, err, tc.kind)
			}
			if strings.Contains(err.Error(), "jane@example.com") {
				t.Fatalf("error leaks an email: %v", err)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	creds := map[string][]byte{"client-id": []byte("i"), "client-secret": []byte("s"), "refresh-token": []byte("r")}
	for _, tc := range []struct {
		name string
		spec *v1alpha1.SourceConnectionSpec
		cfg  connectors.Config
		want string
	}{
		{"no block", &v1alpha1.SourceConnectionSpec{}, connectors.Config{Credentials: creds}, "spec.quickbooks"},
		{"bad realm", &v1alpha1.SourceConnectionSpec{QuickBooks: &v1alpha1.QuickBooksSource{RealmID: "abc"}}, connectors.Config{Credentials: creds}, "realmID"},
		{"bad environment", &v1alpha1.SourceConnectionSpec{QuickBooks: &v1alpha1.QuickBooksSource{RealmID: "1", Environment: "staging"}}, connectors.Config{Credentials: creds}, "environment"},
		{"missing keys", &v1alpha1.SourceConnectionSpec{QuickBooks: &v1alpha1.QuickBooksSource{RealmID: "1"}}, connectors.Config{Credentials: map[string][]byte{"client-id": []byte("i")}}, "client-secret, refresh-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.spec, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
	p, ok := connectors.SourceFor(Provider)
	if !ok {
		t.Fatal("quickbooks is not registered")
	}
	if src, err := p.New(&v1alpha1.SourceConnectionSpec{}, connectors.Config{}); err == nil || src != nil {
		t.Fatalf("registry New with a bad spec = %v, %v: want nil and an error", src, err)
	}
}
