package constantcontacttest

import (
	"net/http"
	"strings"
	"time"
)

// authorize checks the Bearer token and the application's limits, in the
// order the API applies them: 401 for a missing, unknown or expired token,
// 403 without the contact_data scope, then 429 for the per-second window
// and the daily quota. It returns false after writing the refusal. Callers
// hold e.mu.
func (e *Emulator) authorize(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		e.writeUnauthorized(w)
		return false
	}
	at, ok := e.auth.access[strings.TrimSpace(raw)]
	if !ok || !e.now().Before(at.expiry) {
		e.writeUnauthorized(w)
		return false
	}
	if !hasScope(at.scope, "contact_data") {
		writeError(w, http.StatusForbidden, "forbidden",
			"Forbidden request. You lack the necessary scopes, you lack the necessary user privileges, or the application is deactivated.")
		return false
	}
	now := e.now()
	if today := now.Format(time.DateOnly); today != e.day {
		e.day, e.dayCount = today, 0
	}
	if e.opts.DailyRequests > 0 && e.dayCount >= e.opts.DailyRequests {
		writeError(w, http.StatusTooManyRequests, "quota_exceeded", "Limit Exceeded")
		return false
	}
	if !allow(&e.apiWindow, now, e.opts.RequestsPerSecond) {
		writeError(w, http.StatusTooManyRequests, "throttled", "Too Many Requests")
		return false
	}
	e.dayCount++
	return true
}

// allow admits a request when fewer than limit were admitted in the
// sliding second before now (limit <= 0: always).
func allow(window *[]time.Time, now time.Time, limit int) bool {
	if limit <= 0 {
		return true
	}
	cut := 0
	for cut < len(*window) && !(*window)[cut].After(now.Add(-time.Second)) {
		cut++
	}
	*window = (*window)[cut:]
	if len(*window) >= limit {
		return false
	}
	*window = append(*window, now)
	return true
}

func hasScope(scopes, want string) bool {
	for _, s := range strings.Fields(scopes) {
		if s == want {
			return true
		}
	}
	return false
}
