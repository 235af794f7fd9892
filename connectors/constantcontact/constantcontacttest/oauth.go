package constantcontacttest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// OAuth paths, the same as on authz.constantcontact.com.
const (
	AuthorizePath = "/oauth2/default/v1/authorize"
	TokenPath     = "/oauth2/default/v1/token"
)

const (
	codeTTL         = 5 * time.Minute
	refreshIdleTTL  = 180 * 24 * time.Hour
	defaultScopes   = "contact_data offline_access"
	msgInvalidGrant = "unknown, invalid, or expired refresh token"
)

type accessToken struct {
	scope  string
	expiry time.Time
}

type refreshToken struct {
	scope    string
	lastUsed time.Time
}

type authCode struct {
	scope, redirectURI, challenge string
	expiry                        time.Time
}

type authState struct {
	access  map[string]accessToken
	refresh map[string]refreshToken
	codes   map[string]authCode
}

func newAuthState() authState {
	return authState{access: map[string]accessToken{}, refresh: map[string]refreshToken{}, codes: map[string]authCode{}}
}

// IssueRefreshToken issues a new refresh token with the default scopes, as
// an authorisation by the account owner would.
func (e *Emulator) IssueRefreshToken() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	rt := randomToken(32)
	e.auth.refresh[rt] = refreshToken{scope: defaultScopes, lastUsed: e.now()}
	return rt
}

// ExpireAccessTokens makes every issued access token expired.
func (e *Emulator) ExpireAccessTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, t := range e.auth.access {
		t.expiry = e.now()
		e.auth.access[k] = t
	}
}

// RevokeRefreshTokens invalidates every refresh token (the owner revoked
// the app's access).
func (e *Emulator) RevokeRefreshTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.auth.refresh = map[string]refreshToken{}
}

// RefreshTokenValid reports whether rt may still be exchanged.
func (e *Emulator) RefreshTokenValid(rt string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.auth.refresh[rt]
	return ok
}

// handleAuthorize grants consent at once and redirects with a code, as the
// owner clicking "Allow" would.
func (e *Emulator) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != e.opts.ClientID:
		oauthError(w, http.StatusBadRequest, "invalid_client", "Invalid value for 'client_id' parameter.")
		return
	case err != nil || redirect.Scheme == "" || q.Get("response_type") != "code":
		oauthError(w, http.StatusBadRequest, "invalid_request", "redirect_uri and response_type=code are required.")
		return
	case q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256":
		oauthError(w, http.StatusBadRequest, "invalid_request", "code_challenge_method must be S256.")
		return
	}
	e.mu.Lock()
	code := randomToken(16)
	e.auth.codes[code] = authCode{scope: q.Get("scope"), redirectURI: redirect.String(),
		challenge: q.Get("code_challenge"), expiry: e.now().Add(codeTTL)}
	e.mu.Unlock()
	v := redirect.Query()
	v.Set("code", code)
	if s := q.Get("state"); s != "" {
		v.Set("state", s)
	}
	redirect.RawQuery = v.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// handleToken serves the authorization_code (Basic client auth or PKCE)
// and refresh_token grants. Parameters come from the query string, as the
// vendor documents, or from a form body, as OAuth libraries send them.
func (e *Emulator) handleToken(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm() // merges query and form body
	e.mu.Lock()
	defer e.mu.Unlock()
	if !allow(&e.tokenWindow, e.now(), e.opts.TokenRequestsPerSecond) {
		// Okta's rate-limit body (authz.constantcontact.com is an Okta server) [?].
		sandbox.WriteJSON(w, http.StatusTooManyRequests, map[string]string{"errorCode": "E0000047",
			"errorSummary": "API call exceeded rate limit due to too many requests."})
		return
	}
	clientID, secret, basic := r.BasicAuth()
	if !basic {
		clientID = r.Form.Get("client_id")
	}
	if clientID != e.opts.ClientID || (e.opts.ClientSecret != "" && !basic && r.Form.Get("code_verifier") == "") ||
		(basic && subtle.ConstantTimeCompare([]byte(secret), []byte(e.opts.ClientSecret)) != 1) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return
	}
	now := e.now()
	var scope string
	switch r.Form.Get("grant_type") {
	case "refresh_token":
		old := r.Form.Get("refresh_token")
		rt, ok := e.auth.refresh[old]
		if !ok || now.Sub(rt.lastUsed) > refreshIdleTTL {
			delete(e.auth.refresh, old)
			oauthError(w, http.StatusBadRequest, "invalid_grant", msgInvalidGrant)
			return
		}
		scope = rt.scope
		if e.opts.LongLivedRefreshTokens {
			rt.lastUsed = now
			e.auth.refresh[old] = rt
			e.writeTokens(w, scope, old)
			return
		}
		// Rotation: "generating a new set of tokens causes all previous
		// refresh tokens to expire".
		delete(e.auth.refresh, old)
	case "authorization_code":
		code, ok := e.auth.codes[r.Form.Get("code")]
		delete(e.auth.codes, r.Form.Get("code")) // single use
		if !ok || now.After(code.expiry) || code.redirectURI != r.Form.Get("redirect_uri") {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "The authorization code is invalid or has expired.")
			return
		}
		if code.challenge != "" {
			sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
			if base64.RawURLEncoding.EncodeToString(sum[:]) != code.challenge {
				oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed.")
				return
			}
		} else if !basic {
			oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
			return
		}
		scope = code.scope
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "The grant_type is not supported.")
		return
	}
	next := ""
	if hasScope(scope, "offline_access") {
		next = randomToken(32)
		e.auth.refresh[next] = refreshToken{scope: scope, lastUsed: now}
	}
	e.writeTokens(w, scope, next)
}

// writeTokens issues an access token; callers hold e.mu.
func (e *Emulator) writeTokens(w http.ResponseWriter, scope, refresh string) {
	at := jwtLike()
	e.auth.access[at] = accessToken{scope: scope, expiry: e.now().Add(e.opts.AccessTokenTTL)}
	body := map[string]any{"token_type": "Bearer", "access_token": at,
		"expires_in": int(e.opts.AccessTokenTTL / time.Second), "scope": scope}
	if refresh != "" {
		body["refresh_token"] = refresh
	}
	w.Header().Set("Cache-Control", "no-store")
	sandbox.WriteJSON(w, http.StatusOK, body)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	sandbox.WriteJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// jwtLike makes an opaque token shaped like the vendor's JWTs.
func jwtLike() string {
	head, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	claims, _ := json.Marshal(map[string]string{"iss": "https://authz.constantcontact.com/oauth2/default", "jti": randomToken(12)})
	enc := base64.RawURLEncoding.EncodeToString
	return strings.Join([]string{enc(head), enc(claims), randomToken(64)}, ".")
}
