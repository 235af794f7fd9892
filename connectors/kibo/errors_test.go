package kibo

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/kibo/kibotest"
	"github.com/contactsync/contactsync/connectors/transport"
	"github.com/contactsync/contactsync/internal/sandbox"
)

func TestThrottleAndServerErrors(t *testing.T) {
	noRetry := transport.NewLimiter(provider, limits, transport.Options{MaxRetries: -1})
	tests := []struct {
		name       string
		opts       kibotest.Options
		faults     sandbox.Faults
		retries    bool
		kind       connectors.ErrorKind
		retryAfter time.Duration
	}{
		{"route throttle", kibotest.Options{RouteLimitPerMinute: 1}, sandbox.Faults{}, false, connectors.KindRateLimited, time.Minute},
		{"server error", kibotest.Options{}, sandbox.Faults{FailNext: 1, FailStatus: 502}, false, connectors.KindTransient, 0},
		{"retried 5xx", kibotest.Options{}, sandbox.Faults{FailNext: 2}, true, "", 0},
		{"retried 429", kibotest.Options{}, sandbox.Faults{RateLimitShare: 0.5, RetryAfter: sandbox.Duration{Duration: 0}, Seed: 7}, true, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			e.emu.Generate(450, 2)
			if !tc.retries {
				e.cfg.HTTPClient = noRetry.Client()
			}
			s := e.source(t)
			if _, err := s.accessToken(t.Context()); err != nil {
				t.Fatal(err)
			}
			if tc.faults.RateLimitShare > 0 {
				// Retry-After: 0 would still be honoured as "now"; keep it short.
				tc.faults.RetryAfter = sandbox.Duration{Duration: time.Millisecond}
			}
			e.emu.Sandbox().SetFaults(tc.faults)
			pages, err := collect(t, s, "")
			if tc.kind == "" {
				if err != nil || len(ids(pages)) != 450 {
					t.Fatalf("with retries: %v, %d accounts", err, len(ids(pages)))
				}
				return
			}
			var ce *connectors.Error
			if !errors.As(err, &ce) || ce.Kind != tc.kind || ce.RetryAfter != tc.retryAfter || ce.Provider != "kibo" || ce.Op != "list customer accounts" {
				t.Fatalf("error %#v, want kind %s retry %v naming the operation", err, tc.kind, tc.retryAfter)
			}
		})
	}
}

// A server that answers the ticket and then the given listing body.
func stubServer(t *testing.T, status int, body string) *Source {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/authtickets") {
			w.Write([]byte(`{"accessToken":"a","accessTokenExpiration":"2099-01-01T00:00:00Z","refreshToken":"r"}`))
			return
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	e := newEnv(t, kibotest.Options{})
	e.cfg.Endpoint = srv.URL
	e.cfg.HTTPClient = transport.NewLimiter(provider, limits, transport.Options{MaxRetries: -1}).Client()
	s := e.source(t)
	s.now = time.Now
	return s
}

func TestMalformedPayloads(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		kind   connectors.ErrorKind // "" = no error
		want   int                  // contacts delivered
	}{
		{"truncated JSON", 200, `{"totalCount":1,"items":[{"id":1`, connectors.KindTransient, 0},
		{"items not a list", 200, `{"totalCount":1,"items":"x"}`, connectors.KindTransient, 0},
		{"HTML error page", 502, `<html>bad gateway</html>`, connectors.KindTransient, 0},
		{"bad request with ApiError", 400, `{"message":"bad filter","errorCode":"VALIDATION_CONFLICT"}`, connectors.KindInvalid, 0},
		{"not found", 404, `{"message":"no tenant","errorCode":"ITEM_NOT_FOUND"}`, connectors.KindNotFound, 0},
		{"unreadable dates still delivered", 200,
			`{"totalCount":2,"items":[{"id":1,"auditInfo":{"updateDate":"yesterday"},"commerceSummary":{"orderCount":1,"lastOrderDate":42}},` +
				`{"id":2,"emailAddress":"a@example.com","auditInfo":{"updateDate":"2020-01-01T00:00:00.123Z"}}]}`, "", 2},
		{"empty", 200, `{}`, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pages, err := collect(t, stubServer(t, tc.status, tc.body), "")
			if connectors.KindOf(err) != tc.kind {
				t.Fatalf("error %v, want kind %q", err, tc.kind)
			}
			if err != nil && !strings.Contains(err.Error(), "list customer accounts") {
				t.Fatalf("error %q does not name the operation", err)
			}
			if n := len(ids(pages)); n != tc.want {
				t.Fatalf("%d contacts, want %d", n, tc.want)
			}
		})
	}
}
