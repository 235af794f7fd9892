package flipcausetest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestAdminAndWebhookShape(t *testing.T) {
	emu := New(Options{BatchSize: 4})
	srv := httptest.NewServer(emu.Handler())
	defer srv.Close()
	var (
		mu      sync.Mutex
		paths   []string
		records []map[string]any
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var batch []map[string]any
		if err := json.NewDecoder(r.Body).Decode(&batch); err != nil {
			t.Errorf("batch is not a JSON array: %v", err)
		}
		mu.Lock()
		paths = append(paths, r.URL.Path)
		records = append(records, batch...)
		mu.Unlock()
	}))
	defer hook.Close()

	post := func(path, body string, want int) map[string]any {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != want {
			t.Fatalf("POST %s: HTTP %d %v, want %d", path, resp.StatusCode, out, want)
		}
		return out
	}
	post("/_sandbox/generate", `{"count":20,"seed":3}`, 200)
	cid := post("/_sandbox/donors", `{"firstName":"Ada","email":"ada@example.org","mailingList":true}`, 201)["cid"].(string)
	tx := post("/_sandbox/donations", `{"cid":"`+cid+`","amount":12.5}`, 201)["transactionID"].(string)
	post("/_sandbox/refunds", `{"cid":"`+cid+`","transactionID":"`+tx+`"}`, 201)
	post("/_sandbox/donations", `{"cid":"nope","amount":1}`, 400)
	post("/_sandbox/donations", `{"cid":"`+cid+`","amount":-1}`, 400)
	post("/_sandbox/generate", `{"count":"many"}`, 400)
	post("/_sandbox/webhooks", `{"url":"ftp://x"}`, 400)
	post("/_sandbox/webhooks", `{"url":"`+hook.URL+`/webhooks/flipcause"}`, 200)

	if emu.Pending() != 0 || len(records) == 0 {
		t.Fatalf("pending %d, received %d", emu.Pending(), len(records))
	}
	for _, p := range paths {
		if p != "/webhooks/flipcause/"+emu.Token() {
			t.Fatalf("webhook path %q must end with the token", p)
		}
	}
	last := 0
	for _, r := range records {
		for k, v := range r {
			if _, ok := v.(string); !ok {
				t.Fatalf("field %s is %T; Flipcause sends strings only", k, v)
			}
		}
		var id int
		if err := json.Unmarshal([]byte(r["webhook_record_id"].(string)), &id); err != nil || id <= last {
			t.Fatalf("webhook_record_id %v must be increasing", r["webhook_record_id"])
		}
		last = id
		if tt := r["AD_transaction_time"].(string); !strings.HasSuffix(tt, " ") {
			t.Fatalf("AD_transaction_time %q lacks Flipcause's trailing space", tt)
		}
	}

	resp, err := http.Get(srv.URL + "/_sandbox/export.csv")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 22 || rows[0][3] != "Email" {
		t.Fatalf("export: %d rows, err %v", len(rows), err)
	}
	if got := rows[21][11]; got != "0.00" {
		t.Fatalf("donation refunded in full: all-time amount %q, want 0.00", got)
	}
	if resp, _ := http.Get(srv.URL + "/api/anything"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("Flipcause has no API: want 404, got %d", resp.StatusCode)
	}
}
