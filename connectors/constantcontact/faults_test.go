package constantcontact

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/constantcontact/constantcontacttest"
	"github.com/contactsync/contactsync/internal/sandbox"
)

func TestTokenRotation(t *testing.T) {
	tests := []struct {
		name     string
		emu      constantcontacttest.Options
		prepare  func(e *env)
		wantKind connectors.ErrorKind
		wantMsg  string
		rotates  bool
	}{
		{name: "rotating refresh token is persisted and the old one dies", rotates: true},
		{name: "long-lived refresh token", emu: constantcontacttest.Options{LongLivedRefreshTokens: true}, rotates: true},
		{name: "public PKCE client", emu: constantcontacttest.Options{PublicClient: true}, rotates: true},
		{name: "revoked refresh token", prepare: func(e *env) { e.em.RevokeRefreshTokens() },
			wantKind: connectors.KindAuth, wantMsg: "re-authorise"},
		{name: "persistence fails", prepare: func(e *env) {
			e.persist = func(connectors.Token) error { return errors.New("etcd unavailable") }
		}, wantKind: connectors.KindTransient, wantMsg: "could not be stored"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{emu: tc.emu})
			oldRefresh := e.target.api.tokens.tok.RefreshToken
			if tc.prepare != nil {
				tc.prepare(e)
			}
			_, err := e.target.Check(ctxT(t))
			if tc.wantKind != "" {
				if connectors.KindOf(err) != tc.wantKind || !strings.Contains(err.Error(), tc.wantMsg) {
					t.Fatalf("Check error = %v, want kind %s mentioning %q", err, tc.wantKind, tc.wantMsg)
				}
				if strings.Contains(err.Error(), oldRefresh) {
					t.Errorf("error leaks the refresh token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			got := e.lastRotated()
			if got.RefreshToken == "" || got.AccessToken == "" || got.Expiry.IsZero() {
				t.Fatalf("persisted token = %+v, want a full token", got)
			}
			if !e.em.RefreshTokenValid(got.RefreshToken) {
				t.Errorf("the persisted refresh token is not the live one")
			}
			if rotating := !tc.emu.LongLivedRefreshTokens; rotating && e.em.RefreshTokenValid(oldRefresh) {
				t.Errorf("the old refresh token still works after rotation")
			}
		})
	}
}

// TestExpiredAccessToken: a 401 with the documented body makes the target
// refresh once and retry, persisting the new token first.
func TestExpiredAccessToken(t *testing.T) {
	for _, arrays := range []bool{false, true} {
		t.Run(fmt.Sprintf("array bodies %v", arrays), func(t *testing.T) {
			e := newEnv(t, envOpts{emu: constantcontacttest.Options{ArrayAuthErrors: arrays}})
			ctx := ctxT(t)
			if _, err := e.target.Check(ctx); err != nil {
				t.Fatal(err)
			}
			first := e.lastRotated()
			e.em.ExpireAccessTokens()
			if _, err := e.target.Lookup(ctx, []string{"a@example.com"}); err != nil {
				t.Fatalf("Lookup after expiry: %v", err)
			}
			if second := e.lastRotated(); second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
				t.Errorf("no new token was persisted after the 401")
			}
		})
	}
}

// TestConfigTokenSupersedesSecret: the operator's stored token wins over
// the Secret's older refresh token.
func TestConfigTokenSupersedesSecret(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.em.RevokeRefreshTokens() // the Secret's token is dead
	stored := e.em.IssueRefreshToken()
	cfg := connectors.Config{Endpoint: e.srv.URL, Credentials: map[string][]byte{
		"client-id": []byte(e.em.ClientID()), "client-secret": []byte("cc-emulator-secret"), "refresh-token": []byte("dead")},
		Token: &connectors.Token{RefreshToken: stored}, HTTPClient: e.target.api.http}
	tg, err := New(e.target.specForTest(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Check(ctxT(t)); err != nil {
		t.Fatalf("Check with the stored token: %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	spec := (&Target{spec: specFor("L")}).specForTest()
	tests := []struct {
		name  string
		creds map[string]string
		want  string
	}{
		{"no client id", map[string]string{"refresh-token": "r"}, "client-id"},
		{"no refresh token", map[string]string{"client-id": "c"}, "refresh-token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			creds := map[string][]byte{}
			for k, v := range tc.creds {
				creds[k] = []byte(v)
			}
			_, err := New(spec, connectors.Config{Credentials: creds})
			if connectors.KindOf(err) != connectors.KindAuth || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error = %v, want KindAuth naming %s", err, tc.want)
			}
		})
	}
	if _, err := New(nil, connectors.Config{}); connectors.KindOf(err) != connectors.KindInvalid {
		t.Errorf("New(nil spec) error = %v, want KindInvalid", err)
	}
}

// TestFaults: injected faults are retried or classified.
func TestFaults(t *testing.T) {
	tests := []struct {
		name     string
		faults   sandbox.Faults
		emu      constantcontacttest.Options
		wantKind connectors.ErrorKind
	}{
		{name: "5xx then success", faults: sandbox.Faults{FailNext: 2, FailStatus: 503}},
		{name: "429 then success", faults: sandbox.Faults{FailNext: 2, FailStatus: 429}},
		{name: "persistent 5xx", faults: sandbox.Faults{ServerErrorShare: 1}, wantKind: connectors.KindTransient},
		{name: "persistent 429", faults: sandbox.Faults{RateLimitShare: 1}, wantKind: connectors.KindRateLimited},
		{name: "timeouts", faults: sandbox.Faults{TimeoutShare: 1, Timeout: sandbox.Duration{Duration: 50 * time.Millisecond}},
			wantKind: connectors.KindTransient},
		{name: "daily quota", emu: constantcontacttest.Options{DailyRequests: 1}, wantKind: connectors.KindQuotaExhausted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{emu: tc.emu})
			ctx := ctxT(t)
			if _, err := e.target.Check(ctx); err != nil {
				t.Fatal(err)
			}
			e.em.Sandbox().SetFaults(tc.faults)
			res, err := e.target.Upsert(ctx, []connectors.Write{{Email: "f@example.com", Create: true}})
			if tc.wantKind != "" {
				if connectors.KindOf(err) != tc.wantKind {
					t.Fatalf("Upsert error = %v (kind %s), want %s", err, connectors.KindOf(err), tc.wantKind)
				}
				if tc.wantKind == connectors.KindQuotaExhausted && connectors.RetryAfterOf(err) <= 0 {
					t.Errorf("quota error has no RetryAfter")
				}
				return
			}
			if err != nil || len(res) != 1 || res[0].Outcome != connectors.OutcomeCreated {
				t.Fatalf("Upsert = %+v, %v; want created after retries", res, err)
			}
			if _, ok := e.em.Contact("f@example.com"); !ok {
				t.Errorf("the contact is not in the account")
			}
		})
	}
}

// TestImportSplitsAt4MB: rows of long custom values overflow 4 MB and go
// in two activities; every contact arrives.
func TestImportSplitsAt4MB(t *testing.T) {
	e := newEnv(t, envOpts{})
	long := strings.Repeat("x", 250)
	var writes []connectors.Write
	for i := range DefaultLimits.MaxBatch {
		writes = append(writes, connectors.Write{Email: fmt.Sprintf("p%d@example.com", i), Create: true,
			Custom: map[string]string{"a": long, "b": long, "c": long}})
	}
	res, err := e.target.Upsert(ctxT(t), writes)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Outcome != connectors.OutcomeCreated {
			t.Fatalf("result %+v, want created", r)
		}
	}
	if n := e.calls("POST /v3/activities/contacts_json_import"); n != 2 {
		t.Errorf("imports = %d, want 2 (the payload is over 4 MB)", n)
	}
	if n := len(e.em.Contacts()); n != len(writes) {
		t.Errorf("account holds %d contacts, want %d: the 4 MB cap dropped some", n, len(writes))
	}
}

// TestImportRowErrors: a row the import refuses fails alone.
func TestImportRowErrors(t *testing.T) {
	// An address our syntax check lets through but the import refuses.
	bad := "abuser@example.com"
	e := newEnv(t, envOpts{emu: constantcontacttest.Options{RefusedEmail: func(s string) bool { return s == bad }}})
	writes := []connectors.Write{{Email: "ok@example.com", Create: true}, {Email: bad, Create: true}}
	res, err := e.target.Upsert(ctxT(t), writes)
	if err != nil {
		t.Fatal(err)
	}
	by := resultsByEmail(res)
	if by["ok@example.com"].Outcome != connectors.OutcomeCreated {
		t.Errorf("good row = %+v", by["ok@example.com"])
	}
	if r := by[bad]; r.Outcome != connectors.OutcomeInvalidEmail || strings.Contains(r.Message, bad) {
		t.Errorf("refused row = %+v, want InvalidEmail with a masked message", r)
	}
}

func TestUnsubscribes(t *testing.T) {
	e := newEnv(t, envOpts{})
	since := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	var seed []constantcontacttest.SeedContact
	for i := range 1100 { // three pages of 500
		seed = append(seed, constantcontacttest.SeedContact{Email: fmt.Sprintf("u%d@example.com", i), Permission: "unsubscribed",
			UpdatedAt: since.Add(time.Duration(i+1) * time.Second)})
	}
	seed = append(seed,
		constantcontacttest.SeedContact{Email: "old@example.com", Permission: "unsubscribed", UpdatedAt: since.Add(-time.Hour)},
		constantcontacttest.SeedContact{Email: "sub@example.com", Permission: "explicit"})
	if err := e.em.Seed(seed...); err != nil {
		t.Fatal(err)
	}
	var got []connectors.Unsubscribe
	pages := 0
	mark, err := e.target.Unsubscribes(ctxT(t), since, func(p []connectors.Unsubscribe) error {
		pages++
		got = append(got, p...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1100 || pages != 3 {
		t.Fatalf("got %d unsubscribes in %d pages, want 1100 in 3", len(got), pages)
	}
	for _, u := range got {
		if u.Email == "old@example.com" || u.Email == "sub@example.com" || !u.At.After(since) {
			t.Fatalf("unexpected unsubscribe %+v", u)
		}
	}
	if want := since.Add(1100 * time.Second); mark.Before(want.Add(-time.Second)) || mark.After(want) {
		t.Errorf("watermark = %v, want about %v", mark, want)
	}
	stop := errors.New("stop")
	if _, err := e.target.Unsubscribes(ctxT(t), since, func([]connectors.Unsubscribe) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("error from fn = %v, want it returned", err)
	}
}

// TestRealRateLimits runs against the emulator's 4 requests/s window with
// the connector's own limiter: nothing is throttled.
func TestRealRateLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 3 s")
	}
	e := newEnv(t, envOpts{realLimits: true, emu: constantcontacttest.Options{TokenRequestsPerSecond: 1}})
	ctx := ctxT(t)
	emails := []string{}
	for i := range 8 {
		emails = append(emails, fmt.Sprintf("r%d@example.com", i))
	}
	start := time.Now()
	if _, err := e.target.Lookup(ctx, emails); err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	total, _ := e.em.Sandbox().Requests()
	if elapsed := time.Since(start); elapsed < time.Duration(total-2)*250*time.Millisecond {
		t.Errorf("%d requests in %v: faster than 4/s", total, elapsed)
	}
	if rem, ok := e.target.DailyRemaining(); !ok || rem != DefaultLimits.DailyRequests-total {
		t.Errorf("DailyRemaining = %d, %v; want %d", rem, ok, DefaultLimits.DailyRequests-total)
	}
}
