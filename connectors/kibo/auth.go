package kibo

import (
	"context"
	"net/http"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// ticket is a classic application auth ticket.
type ticket struct {
	access, refresh string
	expiry          time.Time // of the access token
	refreshExpiry   time.Time // zero: unknown (a stored token)
}

// authTicket is the AuthTicket wire shape.
type authTicket struct {
	AccessToken            string    `json:"accessToken"`
	AccessTokenExpiration  time.Time `json:"accessTokenExpiration"`
	RefreshToken           string    `json:"refreshToken"`
	RefreshTokenExpiration time.Time `json:"refreshTokenExpiration"`
}

// expiryMargin renews a ticket this long before Kibo would refuse it.
const expiryMargin = time.Minute

// accessToken returns a valid access token: the current ticket's, a
// refreshed one, or a new one from the application's keys. Refreshes are
// serialised, and each new ticket is persisted before it is used.
func (s *Source) accessToken(ctx context.Context) (string, error) {
	s.ticketMu.Lock()
	defer s.ticketMu.Unlock()
	now := s.now()
	if s.ticket.access != "" && now.Add(expiryMargin).Before(s.ticket.expiry) {
		return s.ticket.access, nil
	}
	var t authTicket
	var err error
	if s.ticket.refresh != "" && (s.ticket.refreshExpiry.IsZero() || now.Before(s.ticket.refreshExpiry)) {
		err = s.callTicket(ctx, "refresh auth ticket", http.MethodPut, "/platform/applications/authtickets/refresh-ticket",
			map[string]string{"refreshToken": s.ticket.refresh}, &t)
		if connectors.KindOf(err) == connectors.KindAuth {
			// A replaced or revoked refresh token: the keys can still mint a new ticket.
			s.cfg.Log.V(1).Info("kibo refresh token refused; creating a new auth ticket", "tenant", s.tenant)
			err = s.createTicket(ctx, &t)
		}
	} else {
		err = s.createTicket(ctx, &t)
	}
	if err != nil {
		return "", err
	}
	if t.AccessToken == "" || t.AccessTokenExpiration.IsZero() {
		return "", &connectors.Error{Kind: connectors.KindTransient, Provider: provider, Op: "create auth ticket",
			Message: "the auth ticket has no accessToken or accessTokenExpiration"}
	}
	next := ticket{access: t.AccessToken, refresh: t.RefreshToken, expiry: t.AccessTokenExpiration, refreshExpiry: t.RefreshTokenExpiration}
	if s.cfg.OnTokenRotated != nil {
		// Kibo replaces the whole ticket on refresh: persist it before use.
		if err := s.cfg.OnTokenRotated(ctx, connectors.Token{AccessToken: next.access, RefreshToken: next.refresh, Expiry: next.expiry}); err != nil {
			return "", &connectors.Error{Kind: connectors.KindTransient, Provider: provider, Op: "store auth ticket",
				Message: "the new auth ticket could not be saved", Err: err}
		}
	}
	s.ticket = next
	return next.access, nil
}

func (s *Source) createTicket(ctx context.Context, out *authTicket) error {
	return s.callTicket(ctx, "create auth ticket", http.MethodPost, "/platform/applications/authtickets",
		map[string]string{"applicationId": s.appID, "sharedSecret": s.secret}, out)
}

func (s *Source) callTicket(ctx context.Context, op, method, path string, body any, out *authTicket) error {
	return s.call(ctx, op, method, s.authBase+path, body, false, out)
}

// dropTicket forgets an access token Kibo refused, unless another caller
// already replaced it.
func (s *Source) dropTicket(token string) {
	s.ticketMu.Lock()
	defer s.ticketMu.Unlock()
	if s.ticket.access == token {
		s.ticket.expiry = time.Time{}
	}
}
