package constantcontact

import (
	"bytes"
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

// maxResponse bounds a response body: a page of 500 contacts with every
// sub-resource is well under it.
const maxResponse = 32 << 20

// client speaks JSON to the API with a Bearer token, retrying once with a
// fresh token when the API says the one it got is invalid.
type client struct {
	root   string // scheme and host: "_links.next.href" paths hang off it
	http   *http.Client
	tokens *tokenSource
}

// call sends one request. target is an API path under /v3 ("/contacts") or
// a "/v3/..." href from _links. A non-2xx answer becomes a classified
// *connectors.Error; out, when not nil, receives the JSON body.
func (c *client) call(ctx context.Context, op, method, target string, q url.Values, in, out any) (int, error) {
	u := c.root + target
	if !strings.HasPrefix(target, "/v3/") {
		u = c.root + "/v3" + target
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, &connectors.Error{Kind: connectors.KindInvalid, Provider: Provider, Op: op, Err: err}
		}
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			return 0, err
		}
		var rd *bytes.Reader
		req, err := http.NewRequestWithContext(ctx, method, u, nil)
		if body != nil {
			rd = bytes.NewReader(body)
			req, err = http.NewRequestWithContext(ctx, method, u, rd)
			req.Header.Set("Content-Type", "application/json")
		}
		if err != nil {
			return 0, &connectors.Error{Kind: connectors.KindInvalid, Provider: Provider, Op: op, Err: err}
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := c.http.Do(req)
		if err != nil {
			var ce *connectors.Error
			if errors.As(err, &ce) {
				return 0, ce
			}
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: op, Err: scrub(err)}
		}
		raw, err := transport.ReadBody(resp, maxResponse)
		if err != nil {
			return resp.StatusCode, &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: op,
				StatusCode: resp.StatusCode, Err: err}
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			// Expired or revoked access token: refresh once and retry.
			c.tokens.Invalidate(tok)
			continue
		}
		if resp.StatusCode >= 300 {
			return resp.StatusCode, classify(op, resp, raw)
		}
		if out != nil && len(raw) > 0 {
			if err := json.Unmarshal(raw, out); err != nil {
				return resp.StatusCode, &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: op,
					StatusCode: resp.StatusCode, Message: "the response is not the documented JSON", Err: err}
			}
		}
		return resp.StatusCode, nil
	}
}

// apiErr is one error of Constant Contact's error bodies: an array of
// these, or a single one for auth errors.
type apiErr struct {
	Key     string `json:"error_key"`
	Message string `json:"error_message"`
}

// errorMessage reads either shape of error body.
func errorMessage(raw []byte) (key, msg string) {
	var many []apiErr
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		var msgs []string
		for _, e := range many {
			msgs = append(msgs, e.Message)
		}
		return many[0].Key, strings.Join(msgs, "; ")
	}
	var one apiErr
	if json.Unmarshal(raw, &one) == nil {
		return one.Key, one.Message
	}
	return "", ""
}

// classify maps an HTTP failure to the kind the controllers act on.
func classify(op string, resp *http.Response, raw []byte) *connectors.Error {
	key, msg := errorMessage(raw)
	e := &connectors.Error{Provider: Provider, Op: op, StatusCode: resp.StatusCode, Message: maskEmails(msg)}
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized:
		e.Kind = connectors.KindAuth
		e.Message = "the access token was refused even after a refresh; re-authorise the app with Constant Contact and put the new refresh token in the Secret's refresh-token key"
	case code == http.StatusForbidden:
		e.Kind = connectors.KindAuth
		e.Message = strings.TrimSpace(e.Message + "; the token lacks the contact_data scope or the user lacks the contacts privileges: re-authorise with scopes contact_data and offline_access")
	case code == http.StatusTooManyRequests && key == "quota_exceeded":
		now := time.Now().UTC()
		e.Kind = connectors.KindQuotaExhausted
		e.RetryAfter = time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC).Sub(now)
		e.Message = "the application's 10,000 requests of the day are used up; the quota resets at 00:00 UTC"
	case code == http.StatusTooManyRequests:
		e.Kind = connectors.KindRateLimited
		e.RetryAfter = transport.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		if e.RetryAfter <= 0 {
			e.RetryAfter = time.Second
		}
	case code == http.StatusNotFound:
		e.Kind = connectors.KindNotFound
	case code >= 500:
		e.Kind = connectors.KindTransient
	default:
		e.Kind = connectors.KindInvalid
	}
	return e
}

var emailRe = regexp.MustCompile(`[^\s"'<>(),;:]+@[^\s"'<>(),;:]+`)

// maskEmails hides the addresses a provider message may carry.
func maskEmails(s string) string {
	return emailRe.ReplaceAllStringFunc(s, connectors.MaskEmail)
}

// scrub removes the query string (which may hold an email) from URL errors.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return fmt.Errorf("%s %s: %w", ue.Op, u.String(), ue.Err)
		}
	}
	return err
}
