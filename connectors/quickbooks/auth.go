package quickbooks

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/oauth2"

	"github.com/contactsync/contactsync/connectors"
)

// tokens keeps the company's OAuth tokens. Intuit rotates refresh tokens and
// invalidates the previous one, so a refresh is serialised (mu) and its new
// token is persisted through OnTokenRotated before anything uses it.
type tokens struct {
	mu      sync.Mutex
	conf    *oauth2.Config
	http    *http.Client
	realm   string
	persist func(context.Context, connectors.Token) error
	log     logr.Logger
	current *oauth2.Token
	// pending is a rotated token whose persisting failed: it is the only
	// valid one now, so it is kept and persisted again before any use.
	pending *oauth2.Token
}

// expiryMargin refreshes an access token this long before it expires.
const expiryMargin = time.Minute

func newTokens(cfg connectors.Config, tokenURL string, hc *http.Client, realm string) *tokens {
	cur := &oauth2.Token{RefreshToken: cfg.Credential(KeyRefreshToken)}
	// The operator's stored token descends from the Secret's and supersedes it.
	if cfg.Token != nil && cfg.Token.RefreshToken != "" {
		cur = &oauth2.Token{AccessToken: cfg.Token.AccessToken, RefreshToken: cfg.Token.RefreshToken, Expiry: cfg.Token.Expiry}
	}
	return &tokens{
		conf: &oauth2.Config{ClientID: cfg.Credential(KeyClientID), ClientSecret: cfg.Credential(KeyClientSecret),
			Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader}},
		http: hc, realm: realm, persist: cfg.OnTokenRotated, log: cfg.Log, current: cur,
	}
}

// accessToken returns a usable access token. rejected is a token the API
// just refused (401): it is refreshed even if it looks unexpired.
func (t *tokens) accessToken(ctx context.Context, rejected string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending != nil {
		if err := t.store(ctx, t.pending); err != nil {
			return "", err
		}
		t.current, t.pending = t.pending, nil
	}
	c := t.current
	if c.AccessToken != "" && c.AccessToken != rejected && (c.Expiry.IsZero() || time.Until(c.Expiry) > expiryMargin) {
		return c.AccessToken, nil
	}
	octx := context.WithValue(ctx, oauth2.HTTPClient, t.http)
	next, err := t.conf.TokenSource(octx, &oauth2.Token{RefreshToken: c.RefreshToken}).Token()
	if err != nil {
		return "", t.classify(ctx, err)
	}
	if err := t.store(ctx, next); err != nil {
		t.pending = next
		return "", err
	}
	t.current = next
	t.log.V(1).Info("refreshed QuickBooks access token", "realm", t.realm, "rotated", next.RefreshToken != c.RefreshToken)
	return next.AccessToken, nil
}

func (t *tokens) store(ctx context.Context, tok *oauth2.Token) error {
	if t.persist == nil {
		return nil
	}
	err := t.persist(ctx, connectors.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry})
	if err != nil {
		return &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: "store rotated token",
			Message: "QuickBooks issued a new refresh token that could not be stored; it is kept in memory and stored again before use", Err: err}
	}
	return nil
}

// classify turns a token endpoint failure into a connectors.Error that says
// how to fix it, without the token or the response body.
func (t *tokens) classify(ctx context.Context, err error) error {
	e := &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: "refresh access token"}
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re):
		if re.Response != nil {
			e.StatusCode = re.Response.StatusCode
		}
		switch {
		case re.ErrorCode == "invalid_grant":
			e.Kind = connectors.KindAuth
			e.Message = "Intuit refused the refresh token (invalid_grant): it was revoked, expired after 100 days unused, " +
				"or superseded by a newer one; reconnect the app to company " + t.realm + " and put the new refresh token in Secret key " + KeyRefreshToken
		case re.ErrorCode == "invalid_client" || e.StatusCode == http.StatusUnauthorized:
			e.Kind = connectors.KindAuth
			e.Message = "Intuit refused the app credentials (invalid_client): check Secret keys " + KeyClientID + " and " + KeyClientSecret
		case e.StatusCode == http.StatusTooManyRequests:
			e.Kind = connectors.KindRateLimited
			e.RetryAfter = time.Minute
		case e.StatusCode >= 500:
			e.Message = "Intuit's token endpoint is failing"
		case re.ErrorCode != "":
			e.Kind = connectors.KindAuth
			e.Message = "Intuit refused the token refresh (" + re.ErrorCode + "): reconnect the app to company " + t.realm
		default:
			e.Message = "unexpected answer from Intuit's token endpoint"
		}
	case ctx.Err() != nil:
		e.Err = ctx.Err()
	default:
		var ce *connectors.Error
		if errors.As(err, &ce) {
			return ce
		}
		e.Message = "token endpoint unreachable"
		e.Err = errors.Unwrap(err)
		if e.Err == nil {
			e.Err = err
		}
	}
	return e
}
