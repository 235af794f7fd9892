package quickbookstest

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// TokenPath is the token endpoint's path on oauth.platform.intuit.com.
const TokenPath = "/oauth2/v1/tokens/bearer"

type refreshInfo struct {
	issued, lastUsed, hardExpiry time.Time
}

// authState holds the app's tokens: refresh tokens rotate, and a rotated
// one is invalid from then on (Intuit answers invalid_grant).
type authState struct {
	mu      sync.Mutex
	refresh map[string]*refreshInfo
	current string
	access  map[string]time.Time // token → expiry
	codes   map[string]bool
}

func newAuthState() *authState {
	return &authState{refresh: map[string]*refreshInfo{}, access: map[string]time.Time{}, codes: map[string]bool{}}
}

func (a *authState) issueRefresh(now time.Time) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.issueRefreshLocked(now, now.Add(5*365*24*time.Hour))
}

func (a *authState) issueRefreshLocked(now, hard time.Time) string {
	t := randomToken("RT1-")
	a.refresh[t] = &refreshInfo{issued: now, lastUsed: now, hardExpiry: hard}
	a.current = t
	return t
}

func (a *authState) currentRefresh() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.current
}

func (a *authState) validAccess(token string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.access[token]
	return ok && now.Before(exp)
}

// AuthorizationCode mints a single-use authorization code, as the consent
// redirect would hand one to the app.
func (e *Emulator) AuthorizationCode() string {
	e.auth.mu.Lock()
	defer e.auth.mu.Unlock()
	c := randomToken("AB11")
	e.auth.codes[c] = true
	return c
}

// RevokeTokens invalidates every access and refresh token (the user
// disconnected the app); AuthorizationCode starts a new grant.
func (e *Emulator) RevokeTokens() {
	e.auth.mu.Lock()
	defer e.auth.mu.Unlock()
	e.auth.refresh = map[string]*refreshInfo{}
	e.auth.access = map[string]time.Time{}
	e.auth.current = ""
}

// ExpireAccessTokens makes every access token expired, as an hour passing would.
func (e *Emulator) ExpireAccessTokens() {
	e.auth.mu.Lock()
	defer e.auth.mu.Unlock()
	e.auth.access = map[string]time.Time{}
}

// IssueAccessToken returns a valid access token without a refresh (tests of
// callers that bring their own token).
func (e *Emulator) IssueAccessToken() string {
	e.auth.mu.Lock()
	defer e.auth.mu.Unlock()
	t := randomToken("eyJ")
	e.auth.access[t] = e.now().Add(e.opts.AccessTokenTTL)
	return t
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	body := map[string]string{"error": code}
	if desc != "" {
		body["error_description"] = desc
	}
	sandbox.WriteJSON(w, status, body)
}

// token serves POST /oauth2/v1/tokens/bearer.
func (e *Emulator) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(id), []byte(e.opts.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(e.opts.ClientSecret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
		return
	}
	now := e.now()
	a := e.auth
	a.mu.Lock()
	var refresh string
	var hard time.Time
	switch r.PostForm.Get("grant_type") {
	case "refresh_token":
		old := r.PostForm.Get("refresh_token")
		info, ok := a.refresh[old]
		if !ok || !now.Before(info.lastUsed.Add(e.opts.RefreshIdleExpiry)) || !now.Before(info.hardExpiry) {
			a.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "invalid_grant", "")
			return
		}
		hard = info.hardExpiry
		if now.Sub(info.issued) >= e.opts.RotateEvery {
			delete(a.refresh, old)
			refresh = a.issueRefreshLocked(now, hard)
		} else {
			info.lastUsed = now
			refresh = old
		}
	case "authorization_code":
		code := r.PostForm.Get("code")
		if !a.codes[code] {
			a.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "invalid_grant", "")
			return
		}
		delete(a.codes, code)
		hard = now.Add(e.opts.RefreshHardExpiry)
		refresh = a.issueRefreshLocked(now, hard)
	default:
		a.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	access := randomToken("eyJ")
	a.access[access] = now.Add(e.opts.AccessTokenTTL)
	a.mu.Unlock()
	resp := map[string]any{
		"access_token": access, "refresh_token": refresh, "token_type": "bearer",
		"expires_in":                 int(e.opts.AccessTokenTTL / time.Second),
		"x_refresh_token_expires_in": int(e.opts.RefreshIdleExpiry / time.Second),
	}
	if strings.EqualFold(r.Header.Get("x-include-refresh-token-hard-expires-in"), "true") {
		resp["x_refresh_token_hard_expires_in"] = int(hard.Sub(now) / time.Second)
	}
	w.Header().Set("Cache-Control", "no-store")
	sandbox.WriteJSON(w, http.StatusOK, resp)
}
