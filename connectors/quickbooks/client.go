package quickbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/transport"
)

// maxBody bounds a response: a page of 1,000 customers is about 1.5 MB.
const maxBody = 64 << 20

// get sends GET /v3/company/{realm}{path}?…&minorversion=75 and decodes the
// answer into out. A 401 refreshes the access token once and retries.
func (s *Source) get(ctx context.Context, op, path string, q url.Values, out any) error {
	if q == nil {
		q = url.Values{}
	}
	q.Set("minorversion", minorVersion)
	u := s.apiBase + "/v3/company/" + s.realm + path + "?" + q.Encode()
	rejected := ""
	for {
		tok, err := s.auth.accessToken(ctx, rejected)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return &connectors.Error{Kind: connectors.KindInvalid, Provider: Provider, Op: op, Err: err}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		resp, err := s.http.Do(req)
		if err != nil {
			return networkError(ctx, op, err)
		}
		body, err := transport.ReadBody(resp, maxBody)
		if err != nil {
			return &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: op, StatusCode: resp.StatusCode,
				Message: "reading the response failed", Err: err}
		}
		if resp.StatusCode == http.StatusUnauthorized && rejected == "" {
			rejected = tok // expired or revoked early: refresh once
			continue
		}
		if err := s.faultError(op, resp, body); err != nil {
			return err
		}
		if err := json.Unmarshal(body, out); err != nil {
			return &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: op, StatusCode: resp.StatusCode,
				Message: "malformed response", Err: err}
		}
		return nil
	}
}

func networkError(ctx context.Context, op string, err error) error {
	var ce *connectors.Error
	if errors.As(err, &ce) {
		return ce
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL holds the query text: leave it out
	}
	return &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: op, Message: "network error", Err: err}
}

// faultError classifies a non-2xx answer, or a 200 that carries a Fault.
func (s *Source) faultError(op string, resp *http.Response, body []byte) error {
	var f fault
	_ = json.Unmarshal(body, &f) // a body that is not a Fault still has a status
	code, msg := "", ""
	if f.Fault != nil && len(f.Fault.Error) > 0 {
		fe := f.Fault.Error[0]
		code = strings.TrimLeft(fe.Code, "0")
		msg = fe.Message
		if fe.Detail != "" && fe.Detail != fe.Message {
			msg += ": " + fe.Detail
		}
		msg = maskEmails(fmt.Sprintf("%s (Fault %s, code %s)", msg, f.Fault.Type, fe.Code))
	}
	status := resp.StatusCode
	if status/100 == 2 && f.Fault == nil {
		return nil
	}
	e := &connectors.Error{Provider: Provider, Op: op, StatusCode: status, Message: msg}
	switch {
	case status == http.StatusTooManyRequests || code == "3001":
		e.Kind = connectors.KindRateLimited
		e.RetryAfter = transport.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		if e.RetryAfter <= 0 {
			e.RetryAfter = time.Minute // Intuit's window is a minute and it sends no Retry-After
		}
	case status == http.StatusUnauthorized || code == "3200":
		e.Kind = connectors.KindAuth
		e.Message = "Intuit rejected a freshly refreshed access token: reconnect the app to company " + s.realm +
			" and put the new refresh token in Secret key " + KeyRefreshToken + suffix(msg)
	case status == http.StatusForbidden || code == "3100" || code == "120":
		e.Kind = connectors.KindAuth
		e.Message = "the app is not authorised for company " + s.realm +
			": check spec.quickbooks.realmID and that the refresh token was issued for this company" + suffix(msg)
	case status >= 500 || status/100 == 2:
		e.Kind = connectors.KindTransient
	case status == http.StatusNotFound:
		e.Kind = connectors.KindNotFound
	default:
		e.Kind = connectors.KindInvalid
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return " (" + msg + ")"
}

var emailPattern = regexp.MustCompile(`[^\s,;:"'<>()\[\]]+@[^\s,;:"'<>()\[\]]+`)

// maskEmails hides addresses in provider messages.
func maskEmails(s string) string {
	return emailPattern.ReplaceAllStringFunc(s, connectors.MaskEmail)
}

// query runs a query and decodes its QueryResponse.
func (s *Source) query(ctx context.Context, op, q string) (*queryResponse, error) {
	var out queryResponse
	if err := s.get(ctx, op, "/query", url.Values{"query": {q}}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
