package transport

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

func TestRetries(t *testing.T) {
	cases := []struct {
		name      string
		responses []int // status per attempt; the last repeats
		retryHdr  string
		body      bool
		wantCode  int
		wantCalls int
	}{
		{"success at once", []int{200}, "", false, 200, 1},
		{"5xx then success", []int{503, 502, 200}, "", false, 200, 3},
		{"429 honours Retry-After then succeeds", []int{429, 200}, "0", false, 200, 2},
		{"gives up after the retries", []int{500}, "", false, 500, 3},
		{"4xx is not retried", []int{400}, "", false, 400, 1},
		{"a replayable POST body is sent again", []int{503, 200}, "", true, 200, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1))
				if tc.body {
					if b, _ := io.ReadAll(r.Body); string(b) != "payload" {
						t.Errorf("attempt %d got body %q", n, b)
					}
				}
				code := tc.responses[min(n, len(tc.responses))-1]
				if tc.retryHdr != "" {
					w.Header().Set("Retry-After", tc.retryHdr)
				}
				w.WriteHeader(code)
			}))
			defer srv.Close()
			lim := NewLimiter("test", connectors.Limits{}, Options{MaxRetries: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
			var counter connectors.CallCounter
			ctx := connectors.WithCallCounter(context.Background(), &counter)
			var body io.Reader
			method := http.MethodGet
			if tc.body {
				method, body = http.MethodPost, strings.NewReader("payload")
			}
			req, _ := http.NewRequestWithContext(ctx, method, srv.URL, body)
			resp, err := lim.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantCode || int(calls.Load()) != tc.wantCalls {
				t.Fatalf("code %d after %d calls, want %d after %d", resp.StatusCode, calls.Load(), tc.wantCode, tc.wantCalls)
			}
			if counter.Load() != int64(tc.wantCalls) {
				t.Fatalf("counted %d calls, want %d", counter.Load(), tc.wantCalls)
			}
		})
	}
}

func TestConcurrencyIsSharedPerCredential(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
	}))
	defer srv.Close()
	pool := NewPool(Options{})
	limits := connectors.Limits{Concurrency: 2}
	// Two "connectors" of one credential share the limiter.
	a, b := pool.Limiter("secret-uid", "mailchimp", limits).Client(), pool.Limiter("secret-uid", "mailchimp", limits).Client()
	done := make(chan struct{})
	for i := range 8 {
		c := a
		if i%2 == 1 {
			c = b
		}
		go func() {
			resp, err := c.Get(srv.URL)
			if err == nil {
				resp.Body.Close()
			}
			done <- struct{}{}
		}()
	}
	for range 8 {
		<-done
	}
	if peak.Load() > 2 {
		t.Fatalf("%d requests in flight at once, limit 2", peak.Load())
	}
	if pool.Limiter("other-uid", "mailchimp", limits) == pool.Limiter("secret-uid", "mailchimp", limits) {
		t.Fatal("two credentials share a limiter")
	}
}

func TestDailyQuota(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	now := time.Date(2026, 11, 23, 23, 0, 0, 0, time.UTC)
	lim := NewLimiter("constantcontact", connectors.Limits{DailyRequests: 2}, Options{Now: func() time.Time { return now }})
	for range 2 {
		resp, err := lim.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if left, ok := lim.DailyRemaining(); !ok || left != 0 {
		t.Fatalf("remaining %d %v", left, ok)
	}
	_, err := lim.Client().Get(srv.URL)
	var ce *connectors.Error
	if !errors.As(err, &ce) || ce.Kind != connectors.KindQuotaExhausted || ce.RetryAfter != time.Hour {
		t.Fatalf("want a quota error retrying at midnight UTC, got %v", err)
	}
	now = now.Add(2 * time.Hour) // a new UTC day
	if left, _ := lim.DailyRemaining(); left != 2 {
		t.Fatalf("quota not reset on a new day: %d", left)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"": 0, "7": 7 * time.Second, "junk": 0, "-3": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
	} {
		if got := ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}
