package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func okAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
}

func do(t *testing.T, h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	return rec
}

func TestFaultInjection(t *testing.T) {
	cases := []struct {
		name       string
		faults     string
		wantStatus int
		wantHeader string
	}{
		{"no faults", `{}`, 200, ""},
		{"every request throttled", `{"rateLimitShare":1,"retryAfter":"3s"}`, 429, "3"},
		{"every request fails", `{"serverErrorShare":1}`, 0, ""},
		{"next request fails with a chosen status", `{"failNext":1,"failStatus":502}`, 502, ""},
		{"timeouts answer 504 after the delay", `{"timeoutShare":1,"timeout":"10ms"}`, 504, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer(okAPI())
			if rec := do(t, s, "PUT", "/_sandbox/faults", tc.faults); rec.Code != 200 {
				t.Fatalf("PUT faults: %d %s", rec.Code, rec.Body)
			}
			rec := do(t, s, "GET", "/api/thing", "")
			switch {
			case tc.wantStatus == 0 && rec.Code < 500:
				t.Fatalf("status %d, want a 5xx", rec.Code)
			case tc.wantStatus != 0 && rec.Code != tc.wantStatus:
				t.Fatalf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			if got := rec.Header().Get("Retry-After"); got != tc.wantHeader {
				t.Fatalf("Retry-After %q, want %q", got, tc.wantHeader)
			}
		})
	}
}

func TestFailNextThenRecoversAndAdminIsNeverFaulted(t *testing.T) {
	s := NewServer(okAPI(), WithErrorBody(func(w http.ResponseWriter, _ *http.Request, status int) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte("provider body"))
	}))
	s.SetFaults(Faults{FailNext: 2, ServerErrorShare: 0})
	for i, want := range []int{503, 503, 200} {
		rec := do(t, s, "GET", "/api", "")
		if rec.Code != want {
			t.Fatalf("request %d: %d, want %d", i, rec.Code, want)
		}
		if want == 503 && rec.Body.String() != "provider body" {
			t.Fatalf("injected faults use the provider's body, got %q", rec.Body)
		}
	}
	s.SetFaults(Faults{ServerErrorShare: 1})
	if rec := do(t, s, "GET", "/_sandbox/requests", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"total":3`) {
		t.Fatalf("admin answered %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "POST", "/_sandbox/reset", ""); rec.Code != http.StatusNoContent {
		t.Fatalf("reset: %d", rec.Code)
	}
	if total, _ := s.Requests(); total != 0 || s.Faults().ServerErrorShare != 0 {
		t.Fatalf("reset left total %d faults %+v", total, s.Faults())
	}
}

func TestLatency(t *testing.T) {
	s := NewServer(okAPI())
	s.SetFaults(Faults{Latency: Duration{30 * time.Millisecond}})
	start := time.Now()
	do(t, s, "GET", "/api", "")
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("answered after %s, want at least the latency", d)
	}
}

func TestHandleGenerate(t *testing.T) {
	s := NewServer(okAPI())
	var got int
	s.HandleGenerate(func(n int, _ uint64) any { got = n; return map[string]int{"people": n} })
	if rec := do(t, s, "POST", "/_sandbox/generate", `{"count":5,"seed":1}`); rec.Code != 200 || got != 5 {
		t.Fatalf("generate: %d, n=%d", rec.Code, got)
	}
	for _, body := range []string{`{"count":-1}`, `{"count":99999999}`, `not json`} {
		if rec := do(t, s, "POST", "/_sandbox/generate", body); rec.Code != 400 {
			t.Fatalf("%s: %d, want 400", body, rec.Code)
		}
	}
}

func TestPeopleIsDeterministicAndRealistic(t *testing.T) {
	o := DefaultGenOptions()
	o.Now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	a, b := People(2000, o), People(2000, o)
	var missing, inactive, orders int
	seen := map[string]bool{}
	for i := range a {
		if a[i].Email != b[i].Email || a[i].LastName != b[i].LastName || len(a[i].Orders) != len(b[i].Orders) {
			t.Fatalf("person %d differs between two runs with one seed", i)
		}
		p := a[i]
		if p.Email == "" {
			missing++
		}
		if !p.Active {
			inactive++
		}
		orders += len(p.Orders)
		for _, o2 := range p.Orders {
			if o2.Date.Before(p.Created) || o2.Date.After(o.Now) || o2.Amount <= 0 {
				t.Fatalf("person %d has an order outside its life: %+v", i, o2)
			}
		}
		seen[p.Email] = true
	}
	if missing < 50 || missing > 160 || inactive < 50 || inactive > 160 || orders < 2000 {
		t.Fatalf("shares off: missing %d inactive %d orders %d of 2000 people", missing, inactive, orders)
	}
	if len(seen) < 1800 {
		t.Fatalf("only %d distinct emails", len(seen))
	}
}
