package mailchimptest

import (
	"net/http"
	"strings"
)

// oauthToken exchanges a one-time authorization code for an access token
// that never expires (targets.md §1.1).
func (e *Emulator) oauthToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "authorization_code" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type"})
		return
	}
	if r.PostForm.Get("client_id") == "" || r.PostForm.Get("client_secret") == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client"})
		return
	}
	code := r.PostForm.Get("code")
	e.mu.Lock()
	ok := e.codes[code]
	delete(e.codes, code)
	token := randomHex(16)
	if ok {
		e.keys[token] = true
	}
	e.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": token, "expires_in": 0, "scope": nil})
}

// oauthMetadata names the account of a token; a bad token still gets 200,
// with {"error":"invalid_token"}, as Mailchimp answers.
func (e *Emulator) oauthMetadata(w http.ResponseWriter, r *http.Request) {
	h := r.Header.Get("Authorization")
	token := ""
	for _, p := range []string{"OAuth ", "Bearer "} {
		if strings.HasPrefix(h, p) {
			token = strings.TrimSpace(h[len(p):])
		}
	}
	e.mu.Lock()
	ok := token != "" && e.keys[token]
	e.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"error": "invalid_token"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dc": e.opts.DC, "role": "owner", "accountname": "Acme Books LLC",
		"user_id": 1234567, "login": map[string]any{"email": "owner@acme.example", "login_id": 1234567, "login_name": "acme"},
		"login_url": "https://login.mailchimp.com", "api_endpoint": "http://" + r.Host})
}
