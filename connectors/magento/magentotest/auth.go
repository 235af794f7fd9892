package magentotest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	adminTokenTTL  = 4 * time.Hour
	timestampSkew  = 10 * time.Minute
	resourceCustom = "Magento_Customer::customer"
)

// authenticate accepts an admin token, the integration token as a Bearer
// token (when allowed), or an OAuth 1.0a signed request (RFC 5849).
func (e *Emulator) authenticate(r *http.Request, resource string) *apiError {
	h := r.Header.Get("Authorization")
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case strings.HasPrefix(h, "Bearer "):
		tok := strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
		if exp, ok := e.admin[tok]; ok && e.now().Before(exp) {
			return nil
		}
		if tok == AccessToken && e.opts.BearerAllowed && !e.revoked {
			return nil
		}
		return notAuthorized(resource)
	case strings.HasPrefix(h, "OAuth "):
		return e.verifyOAuth(r, parseOAuthHeader(strings.TrimPrefix(h, "OAuth ")), resource)
	}
	return notAuthorized(resource)
}

func parseOAuthHeader(h string) map[string]string {
	params := map[string]string{}
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"`)
		if dec, err := url.PathUnescape(v); err == nil {
			v = dec
		}
		params[k] = v
	}
	return params
}

func (e *Emulator) verifyOAuth(r *http.Request, p map[string]string, resource string) *apiError {
	if e.revoked || p["oauth_consumer_key"] != ConsumerKey || p["oauth_token"] != AccessToken {
		return notAuthorized(resource)
	}
	var algo func() hash.Hash
	switch p["oauth_signature_method"] {
	case "HMAC-SHA256":
		algo = sha256.New
	case "HMAC-SHA1":
		algo = sha1.New
	default:
		return newError(http.StatusUnauthorized, "Signature method %1 is not supported", []any{p["oauth_signature_method"]})
	}
	ts, err := strconv.ParseInt(p["oauth_timestamp"], 10, 64)
	// Signatures are checked against the wall clock, not the data clock (Options.Now).
	wall := time.Now()
	if err != nil || wall.Sub(time.Unix(ts, 0)).Abs() > timestampSkew {
		return newError(http.StatusUnauthorized, "The timestamp is out of range. Verify and try again.", nil)
	}
	nonce := p["oauth_nonce"]
	if nonce == "" {
		return newError(http.StatusUnauthorized, "\"%fieldName\" is required. Enter and try again.", map[string]any{"fieldName": "oauth_nonce"})
	}
	want := signature(r, p, algo)
	got, err := base64.StdEncoding.DecodeString(p["oauth_signature"])
	if err != nil || !hmac.Equal(got, want) {
		return newError(http.StatusUnauthorized, "The signature is invalid. Verify and try again.", nil)
	}
	if _, used := e.nonces[nonce]; used {
		return newError(http.StatusUnauthorized, "The nonce is already being used by the consumer with ID %1.", []any{strconv.Itoa(consumerID)})
	}
	e.nonces[nonce] = wall
	for n, at := range e.nonces { // forget nonces whose timestamps can no longer pass
		if wall.Sub(at) > 2*timestampSkew {
			delete(e.nonces, n)
		}
	}
	return nil
}

// signature computes the HMAC of the RFC 5849 §3.4.1 base string.
func signature(r *http.Request, oauth map[string]string, algo func() hash.Hash) []byte {
	var pairs []string
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			pairs = append(pairs, pct(k)+"="+pct(v))
		}
	}
	for k, v := range oauth {
		if k != "oauth_signature" && k != "realm" {
			pairs = append(pairs, pct(k)+"="+pct(v))
		}
	}
	sort.Strings(pairs)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := strings.ToLower(r.Host)
	host = strings.TrimSuffix(strings.TrimSuffix(host, ":80"), ":443")
	base := r.Method + "&" + pct(scheme+"://"+host+r.URL.EscapedPath()) + "&" + pct(strings.Join(pairs, "&"))
	mac := hmac.New(algo, []byte(pct(ConsumerSecret)+"&"+pct(AccessTokenSecret)))
	mac.Write([]byte(base))
	return mac.Sum(nil)
}

// pct is RFC 3986 percent-encoding: everything but unreserved characters.
func pct(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}

// issueAdminToken answers POST /V1/integration/admin/token.
func (e *Emulator) issueAdminToken(user, password string) (string, *apiError) {
	if user != AdminUser || password != AdminPassword {
		return "", newError(http.StatusUnauthorized,
			"The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later.", nil)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.admin[tok] = e.now().Add(adminTokenTTL)
	return tok, nil
}
