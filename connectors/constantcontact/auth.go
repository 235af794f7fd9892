package constantcontact

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/contactsync/contactsync/connectors"
)

// expiryMargin refreshes a little before the access token expires, so a
// request never leaves with a token that dies on the way.
const expiryMargin = time.Minute

// tokenSource hands out access tokens and refreshes them through
// x/oauth2. Refreshes are serialised (rotating refresh tokens work once),
// and every new refresh token is persisted through OnTokenRotated before
// it is used: a rotated token that was not stored would lock us out.
type tokenSource struct {
	conf    *oauth2.Config
	client  *http.Client
	persist func(context.Context, connectors.Token) error

	mu  sync.Mutex
	tok *oauth2.Token
}

func newTokenSource(conf *oauth2.Config, client *http.Client, initial *oauth2.Token,
	persist func(context.Context, connectors.Token) error) *tokenSource {
	return &tokenSource{conf: conf, client: client, persist: persist, tok: initial}
}

// Token returns a valid access token, refreshing when there is none or it
// expires within expiryMargin.
func (s *tokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.AccessToken != "" && (s.tok.Expiry.IsZero() || time.Until(s.tok.Expiry) > expiryMargin) {
		return s.tok.AccessToken, nil
	}
	if err := s.refreshLocked(ctx); err != nil {
		return "", err
	}
	return s.tok.AccessToken, nil
}

// Invalidate drops the access token the API refused (401), unless another
// request already replaced it.
func (s *tokenSource) Invalidate(refused string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.AccessToken == refused {
		s.tok.AccessToken = ""
	}
}

func (s *tokenSource) refreshLocked(ctx context.Context) error {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client)
	// A fresh TokenSource per refresh, over the refresh token alone, so
	// x/oauth2 never reuses a token we did not hand it.
	next, err := s.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: s.tok.RefreshToken}).Token()
	if err != nil {
		return classifyTokenError(err)
	}
	if next.RefreshToken == "" { // long-lived refresh tokens may not be repeated
		next.RefreshToken = s.tok.RefreshToken
	}
	if s.persist != nil {
		err := s.persist(ctx, connectors.Token{AccessToken: next.AccessToken, RefreshToken: next.RefreshToken, Expiry: next.Expiry})
		if err != nil {
			// The old refresh token may be dead already; the new one is in
			// hand but unsaved. Keep it for this process, but fail: the
			// controller must learn its store is broken.
			s.tok = next
			return &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: "persist rotated token",
				Message: "the rotated refresh token could not be stored", Err: err}
		}
	}
	s.tok = next
	return nil
}

// classifyTokenError turns an OAuth failure into a classified error
// without the token in it.
func classifyTokenError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: "refresh access token", Err: err}
	}
	e := &connectors.Error{Provider: Provider, Op: "refresh access token", StatusCode: re.Response.StatusCode,
		Message: re.ErrorCode}
	if re.ErrorDescription != "" {
		e.Message += ": " + re.ErrorDescription
	}
	switch code := re.Response.StatusCode; {
	case re.ErrorCode == "invalid_grant":
		e.Kind = connectors.KindAuth
		e.Message += "; re-authorise the app with Constant Contact and put the new refresh token in the Secret's refresh-token key"
	case re.ErrorCode == "invalid_client" || code == http.StatusUnauthorized:
		e.Kind = connectors.KindAuth
		e.Message += "; check the Secret's client-id and client-secret keys"
	case code == http.StatusTooManyRequests:
		e.Kind, e.RetryAfter = connectors.KindRateLimited, time.Second
	case code >= 500:
		e.Kind = connectors.KindTransient
	default:
		e.Kind = connectors.KindInvalid
	}
	return e
}
