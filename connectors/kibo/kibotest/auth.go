package kibotest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// tickets are the issued auth tickets. A refresh replaces the whole ticket:
// the old access and refresh tokens stop working, so a client that loses the
// new refresh token must authenticate again.
type tickets struct {
	mu        sync.Mutex
	byAccess  map[string]*AuthTicket
	byRefresh map[string]*AuthTicket
	issued    int
	refreshed int
}

func newTickets() *tickets {
	t := &tickets{}
	t.clear()
	return t
}

func (t *tickets) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byAccess, t.byRefresh = map[string]*AuthTicket{}, map[string]*AuthTicket{}
	t.issued, t.refreshed = 0, 0
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (e *Emulator) issue() AuthTicket {
	now := e.opts.Now().UTC().Truncate(time.Second)
	tk := &AuthTicket{
		AccessToken: "at-" + newID(), AccessTokenExpiration: now.Add(e.opts.AccessTokenTTL),
		RefreshToken: "rt-" + newID(), RefreshTokenExpiration: now.Add(e.opts.RefreshTokenTTL),
	}
	e.tickets.byAccess[tk.AccessToken] = tk
	e.tickets.byRefresh[tk.RefreshToken] = tk
	e.tickets.issued++
	return *tk
}

func (e *Emulator) revoke(tk *AuthTicket) {
	delete(e.tickets.byAccess, tk.AccessToken)
	delete(e.tickets.byRefresh, tk.RefreshToken)
}

// POST /api/platform/applications/authtickets {"applicationId","sharedSecret"}
func (e *Emulator) createTicket(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ApplicationID string `json:"applicationId"`
		SharedSecret  string `json:"sharedSecret"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "VALIDATION_CONFLICT", "AppDev", "body is not an AppAuthInfo: "+err.Error())
		return
	}
	if in.ApplicationID != e.opts.ApplicationID || in.SharedSecret != e.opts.SharedSecret {
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "AppDev", "Invalid application credentials")
		return
	}
	e.tickets.mu.Lock()
	tk := e.issue()
	e.tickets.mu.Unlock()
	sandbox.WriteJSON(w, http.StatusOK, tk)
}

// PUT /api/platform/applications/authtickets/refresh-ticket {"refreshToken"}
func (e *Emulator) refreshTicket(w http.ResponseWriter, r *http.Request) {
	var in struct {
		RefreshToken string `json:"refreshToken"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.RefreshToken == "" {
		writeError(w, http.StatusBadRequest, "VALIDATION_CONFLICT", "AppDev", "refreshToken is required")
		return
	}
	e.tickets.mu.Lock()
	defer e.tickets.mu.Unlock()
	old, ok := e.tickets.byRefresh[in.RefreshToken]
	if !ok || !e.opts.Now().Before(old.RefreshTokenExpiration) {
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "AppDev", "Refresh token is expired or invalid")
		return
	}
	e.revoke(old)
	e.tickets.refreshed++
	sandbox.WriteJSON(w, http.StatusOK, e.issue())
}

// DELETE /api/platform/applications/authtickets/{refreshToken}
func (e *Emulator) deleteTicket(w http.ResponseWriter, r *http.Request) {
	e.tickets.mu.Lock()
	defer e.tickets.mu.Unlock()
	if tk, ok := e.tickets.byRefresh[r.PathValue("refreshToken")]; ok {
		e.revoke(tk)
	}
	w.WriteHeader(http.StatusNoContent)
}

// POST /api/platform/applications/authtickets/oauth: the current OAuth 2.0
// client-credentials path, answered in OAuthAccessTokenResponse form.
func (e *Emulator) oauthToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		GrantType    string `json:"grant_type"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "VALIDATION_CONFLICT", "AppDev", "body is not an OauthAuthRequest: "+err.Error())
		return
	}
	e.tickets.mu.Lock()
	defer e.tickets.mu.Unlock()
	switch in.GrantType {
	case "client_credentials":
		if in.ClientID != e.opts.ApplicationID || in.ClientSecret != e.opts.SharedSecret {
			writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "AppDev", "Invalid client credentials")
			return
		}
	case "refresh_token":
		old, ok := e.tickets.byRefresh[in.RefreshToken]
		if !ok || !e.opts.Now().Before(old.RefreshTokenExpiration) {
			writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "AppDev", "Refresh token is expired or invalid")
			return
		}
		e.revoke(old)
	default:
		writeError(w, http.StatusBadRequest, "VALIDATION_CONFLICT", "AppDev", "unsupported grant_type "+in.GrantType)
		return
	}
	tk := e.issue()
	sandbox.WriteJSON(w, http.StatusOK, map[string]any{
		"access_token": tk.AccessToken, "token_type": "Bearer",
		"expires_in": int(e.opts.AccessTokenTTL / time.Second), "refresh_token": tk.RefreshToken,
	})
}

// authorized checks the access token (x-vol-app-claims or Bearer) and the
// tenant and site the request is for (host t<tenant>-s<site>... or the
// x-vol-tenant / x-vol-site headers).
func (e *Emulator) authorized(w http.ResponseWriter, r *http.Request) bool {
	token := r.Header.Get("x-vol-app-claims")
	if token == "" {
		token, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	e.tickets.mu.Lock()
	tk, ok := e.tickets.byAccess[token]
	valid := ok && e.opts.Now().Before(tk.AccessTokenExpiration)
	e.tickets.mu.Unlock()
	if !valid {
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "Customer", "Unauthorized access. Access token is expired or invalid")
		return false
	}
	tenant, site := routing(r)
	if tenant == "" {
		writeError(w, http.StatusBadRequest, "MISSING_TENANT", "Customer", "No tenant in the host or the x-vol-tenant header")
		return false
	}
	if tenant != itoa(e.opts.TenantID) || (site != "" && !e.hasSite(site)) {
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "Customer",
			"Application is not installed on tenant "+tenant+" site "+site)
		return false
	}
	return true
}

// routing reads tenant and site from a t<tenant>-s<site>.<domain> host,
// falling back to the context headers.
func routing(r *http.Request) (tenant, site string) {
	host := r.Host
	if first, _, ok := strings.Cut(host, "."); ok && strings.HasPrefix(first, "t") {
		t, s, _ := strings.Cut(first[1:], "-s")
		if isDigits(t) && (s == "" || isDigits(s)) {
			return t, s
		}
	}
	return r.Header.Get("x-vol-tenant"), r.Header.Get("x-vol-site")
}

func (e *Emulator) hasSite(site string) bool {
	for _, s := range append([]int64{e.opts.SiteID}, e.opts.OtherSites...) {
		if itoa(s) == site {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
