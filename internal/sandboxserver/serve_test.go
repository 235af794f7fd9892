package sandboxserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/flipcause/flipcausetest"
)

// serve starts sb on a loopback port and stops it when the test ends,
// failing the test if Serve does not return cleanly.
func serve(t *testing.T, sb *Sandbox) string {
	t.Helper()
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sb.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
	})
	return "http://" + ln.Addr().String()
}

// Every connector accepts the sandbox: with the endpoint and the Secret of
// the manifests, Check reaches its emulator through the mounted path,
// authenticates (OAuth refresh, auth tickets, OAuth 1.0a signatures, API
// key) and finds the account and the list the samples name.
func TestConnectorsCheckAgainstTheSandbox(t *testing.T) {
	sb := newTestSandbox(t, Options{})
	base := serve(t, sb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := func(endpoint string, creds map[string][]byte) connectors.Config {
		return connectors.Config{Endpoint: endpoint, Credentials: creds, Log: logr.Discard(),
			OnTokenRotated: func(context.Context, connectors.Token) error { return nil }}
	}
	for _, in := range sb.Integrations() {
		var sc *csv1.SourceConnection
		var lt *csv1.ListTarget
		for _, o := range in.objects("ns", base) {
			switch o := o.(type) {
			case *csv1.SourceConnection:
				sc = o
			case *csv1.ListTarget:
				lt = o
			}
		}
		t.Run(in.Name, func(t *testing.T) {
			src, ok := connectors.SourceFor(in.Source.Provider)
			if !ok {
				t.Fatalf("no source provider %q", in.Source.Provider)
			}
			s, err := src.New(&sc.Spec, cfg(sc.Spec.Endpoint, in.Source.Credentials))
			if err != nil {
				t.Fatalf("source %s: %v", sc.Name, err)
			}
			if _, err := s.Check(ctx); err != nil {
				t.Errorf("source %s Check: %v", sc.Name, err)
			}
			dst, ok := connectors.TargetFor(in.Target.Provider)
			if !ok {
				t.Fatalf("no target provider %q", in.Target.Provider)
			}
			tg, err := dst.New(&lt.Spec, cfg(lt.Spec.Endpoint, in.Target.Credentials))
			if err != nil {
				t.Fatalf("target %s: %v", lt.Name, err)
			}
			info, err := tg.Check(ctx)
			if err != nil {
				t.Fatalf("target %s Check: %v", lt.Name, err)
			}
			want := ""
			if c := lt.Spec.ConstantContact; c != nil {
				want = c.List
			} else {
				want = lt.Spec.Mailchimp.Audience
			}
			if info.Name != want {
				t.Errorf("target %s resolved list %q, want %q", lt.Name, info.Name, want)
			}
		})
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:0", true},
		{"localhost:0", true},
		{"[::1]:0", true},
		{"0.0.0.0:0", false},
		{":0", false},
		{"192.0.2.10:0", false},
		{"example.com:0", false},
		{"127.0.0.1", false},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			ln, err := Listen(tc.addr)
			if ln != nil {
				ln.Close()
			}
			if tc.ok && err != nil && !strings.Contains(err.Error(), "cannot assign") {
				t.Errorf("Listen(%q): %v", tc.addr, err)
			}
			if !tc.ok {
				if err == nil {
					t.Fatalf("Listen(%q) accepted a non-loopback address", tc.addr)
				}
				if !strings.Contains(err.Error(), tc.addr) {
					t.Errorf("error %q does not name the address", err)
				}
			}
		})
	}
}

// The index names every emulator; each is reachable at its path with its
// own admin endpoints; and after Serve returns nothing listens any more.
func TestServeRoutesAndStops(t *testing.T) {
	sb := newTestSandbox(t, Options{Customers: 10})
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sb.Serve(ctx, ln) }()

	index := get(t, base+"/")
	for _, e := range sb.Emulators() {
		if !strings.Contains(index, base+e.Path()) {
			t.Errorf("the index does not list %s", base+e.Path())
		}
		if body := get(t, base+e.Path()+"/_sandbox/faults"); !strings.HasPrefix(body, "{") {
			t.Errorf("%s/_sandbox/faults: %q", e.Path(), body)
		}
	}
	var qb struct {
		RealmID   string `json:"realmId"`
		Customers int    `json:"customers"`
	}
	if err := json.Unmarshal([]byte(get(t, base+"/quickbooks/lakeside-dental/_sandbox/state")), &qb); err != nil {
		t.Fatal(err)
	}
	if qb.RealmID != "4620816365178342010" || qb.Customers != 10 {
		t.Errorf("lakeside-dental QuickBooks state %+v, want realm 4620816365178342010 with 10 customers", qb)
	}
	if resp, err := http.Get(base + "/nowhere/at-all"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown path: HTTP %d, want 404", resp.StatusCode)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if resp, err := http.Get(base + "/"); err == nil {
		resp.Body.Close()
		t.Error("the sandbox still answers after Serve returned")
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d: %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// With a webhook URL, Flipcause delivers every generated donor to
// /webhooks/flipcause/<token>, batch by batch, as its queue does.
func TestWebhookDelivery(t *testing.T) {
	var mu sync.Mutex
	records := 0
	paths := map[string]bool{}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		paths[r.URL.Path] = true
		if strings.HasPrefix(r.URL.Path, "/webhooks/flipcause/") {
			var batch []map[string]string
			if err := json.NewDecoder(r.Body).Decode(&batch); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			records += len(batch)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer receiver.Close()

	sb := newTestSandbox(t, Options{Customers: 20, WebhookURL: receiver.URL + "/"})
	fc := sb.Integration("riverside-food-bank").Source.Impl.(*flipcausetest.Emulator)
	queued := fc.Pending()
	if queued < 20 {
		t.Fatalf("%d records queued, want at least one per donor", queued)
	}
	serve(t, sb)

	deadline := time.Now().Add(3 * webhookWindow)
	for fc.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if fc.Pending() != 0 || records != queued {
		t.Fatalf("receiver got %d of %d records, %d still pending", records, queued, fc.Pending())
	}
	if want := "/webhooks/flipcause/" + fc.Token(); !paths[want] {
		t.Errorf("deliveries went to %v, want %s", paths, want)
	}
}
