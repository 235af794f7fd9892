package kibo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/transport"
)

// maxBody bounds a response: a page of 200 full accounts is well under it.
const maxBody = 32 << 20

// apiError is Kibo's error body (shape from the vendor SDKs).
type apiError struct {
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode"`
	Items     []struct {
		Message string `json:"message"`
	} `json:"items"`
}

// call sends one request with the tenant context and, when authed, the
// current ticket; a 401 on an authed call gets one fresh ticket and a retry
// (tickets can be revoked or expire early).
func (s *Source) call(ctx context.Context, op, method, rawURL string, body any, authed bool, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return &connectors.Error{Kind: connectors.KindInvalid, Provider: provider, Op: op, Err: err}
		}
	}
	for attempt := 0; ; attempt++ {
		var token string
		if authed {
			var err error
			if token, err = s.accessToken(ctx); err != nil {
				return err
			}
		}
		status, err := s.send(ctx, op, method, rawURL, payload, token, out)
		if authed && status == http.StatusUnauthorized && attempt == 0 {
			s.dropTicket(token)
			continue
		}
		return err
	}
}

// send is one HTTP exchange; it returns the status code and a classified error.
func (s *Source) send(ctx context.Context, op, method, rawURL string, payload []byte, token string, out any) (int, error) {
	var rd *bytes.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = http.NewRequestWithContext(ctx, method, rawURL, rd)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, rawURL, nil)
	}
	if err != nil {
		return 0, &connectors.Error{Kind: connectors.KindInvalid, Provider: provider, Op: op, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("x-vol-tenant", s.tenant)
	req.Header.Set("x-vol-site", s.site)
	if token != "" {
		req.Header.Set("x-vol-app-claims", token)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		var ce *connectors.Error
		if errors.As(err, &ce) {
			ce.Op = op
			return 0, ce
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, &connectors.Error{Kind: connectors.KindTransient, Provider: provider, Op: op, Err: scrubURL(err)}
	}
	s.observeDate(resp.Header.Get("Date"))
	b, err := transport.ReadBody(resp, maxBody)
	if err != nil {
		return resp.StatusCode, &connectors.Error{Kind: connectors.KindTransient, Provider: provider, Op: op,
			StatusCode: resp.StatusCode, Message: "reading the response", Err: err}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, s.classify(op, resp, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, &connectors.Error{Kind: connectors.KindTransient, Provider: provider, Op: op,
				StatusCode: resp.StatusCode, Message: "the response is not the expected JSON", Err: err}
		}
	}
	return resp.StatusCode, nil
}

// classify turns an error response into a connectors.Error that says what
// to do about it.
func (s *Source) classify(op string, resp *http.Response, body []byte) error {
	e := &connectors.Error{Provider: provider, Op: op, StatusCode: resp.StatusCode}
	var ae apiError
	if json.Unmarshal(body, &ae) == nil {
		e.Message = strings.TrimSpace(ae.ErrorCode + " " + ae.Message)
		if len(ae.Items) > 0 && ae.Items[0].Message != "" {
			e.Message += " (" + ae.Items[0].Message + ")"
		}
	}
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		e.Kind = connectors.KindRateLimited
		e.RetryAfter = transport.ParseRetryAfter(resp.Header.Get("Retry-After"), s.now())
		if e.RetryAfter <= 0 {
			e.RetryAfter = time.Minute // Kibo's documented Retry-After
		}
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		e.Kind = connectors.KindAuth
		e.Message = strings.TrimSpace(e.Message + fmt.Sprintf(
			"; check that the application in the Secret (application-id, shared-secret) is installed and enabled on tenant %s, site %s in Kibo Dev Center",
			s.tenant, s.site))
	case code == http.StatusNotFound:
		e.Kind = connectors.KindNotFound
	case code >= 500 || code == http.StatusRequestTimeout:
		e.Kind = connectors.KindTransient
	default:
		e.Kind = connectors.KindInvalid
	}
	if len(e.Message) > 512 {
		e.Message = e.Message[:512] + "…"
	}
	return e
}

// scrubURL drops the query of a URL error (it may hold an email filter).
func scrubURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}

// observeDate records the server's clock offset from a Date header.
func (s *Source) observeDate(h string) {
	if h == "" {
		return
	}
	if t, err := http.ParseTime(h); err == nil {
		s.skew.Store(int64(t.Sub(s.now())))
	}
}

// serverNow is our estimate of Kibo's clock.
func (s *Source) serverNow() time.Time {
	return s.now().Add(time.Duration(s.skew.Load()))
}
