package mailchimp

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/transport"
)

// maxBody bounds a response: a page of 1000 members or a batch of 500.
const maxBody = 64 << 20

// subscriberHash is Mailchimp's member id: MD5 of the lower-cased email.
func subscriberHash(email string) string {
	sum := md5.Sum([]byte(connectors.NormalizeEmail(email)))
	return hex.EncodeToString(sum[:])
}

// problemDoc is Mailchimp's error body; "type" is sometimes absent.
type problemDoc struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// call sends one request and decodes a 2xx JSON answer into out (nil: no
// body expected). Other answers become classified errors.
func (t *Target) call(ctx context.Context, op, method, path string, body, out any) error {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return invalid(op, err.Error())
		}
		rd = bytes.NewReader(b)
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = http.NewRequestWithContext(ctx, method, t.base+path, rd)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, t.base+path, nil)
	}
	if err != nil {
		return invalid(op, err.Error())
	}
	req.Header.Set("Authorization", t.auth)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.http.Do(req)
	if err != nil {
		var ce *connectors.Error
		if errors.As(err, &ce) {
			return err
		}
		return &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: op, Err: err}
	}
	b, err := transport.ReadBody(resp, maxBody)
	if err != nil {
		return &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: op, StatusCode: resp.StatusCode, Err: err}
	}
	if resp.StatusCode/100 != 2 {
		return classify(op, resp, b)
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &connectors.Error{Kind: connectors.KindTransient, Provider: Provider, Op: op, StatusCode: resp.StatusCode,
			Message: "the response is not the documented JSON", Err: err}
	}
	return nil
}

// classify turns an error answer into a connectors.Error (targets.md §1.11–1.12).
func classify(op string, resp *http.Response, body []byte) *connectors.Error {
	var p problemDoc
	_ = json.Unmarshal(body, &p)
	e := &connectors.Error{Provider: Provider, Op: op, StatusCode: resp.StatusCode, Message: problemMessage(p)}
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests, code == http.StatusForbidden && p.Title == "":
		// Mailchimp throttles with 429, and at very high volumes with a
		// 403 without a body. It sends no Retry-After: wait a second for a
		// connection to free up.
		e.Kind = connectors.KindRateLimited
		e.RetryAfter = transport.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		if e.RetryAfter <= 0 {
			e.RetryAfter = time.Second
		}
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		e.Kind = connectors.KindAuth
		e.Message = strings.TrimPrefix(e.Message+": ", ": ") +
			"check the Secret: the api-key must be current and end with its data centre (-us6), or access-token and server must belong to one account"
	case code == http.StatusNotFound:
		e.Kind = connectors.KindNotFound
	case code >= 500:
		e.Kind = connectors.KindTransient
		if e.Message == "" {
			e.Message = http.StatusText(code)
		}
	default:
		e.Kind = connectors.KindInvalid
	}
	return e
}

// problemMessage is "title: detail (field: message, …)" with addresses masked.
func problemMessage(p problemDoc) string {
	msg := p.Title
	if p.Detail != "" {
		msg = strings.TrimPrefix(msg+": "+p.Detail, ": ")
	}
	if len(p.Errors) > 0 {
		parts := make([]string, len(p.Errors))
		for i, fe := range p.Errors {
			parts[i] = fe.Field + ": " + fe.Message
		}
		msg += " (" + strings.Join(parts, "; ") + ")"
	}
	return maskEmails(msg)
}

var emailPattern = regexp.MustCompile(`[^\s"'<>(),;:]+@[^\s"'<>(),;:]+`)

// maskEmails hides the addresses Mailchimp puts in its messages.
func maskEmails(s string) string {
	return emailPattern.ReplaceAllStringFunc(s, connectors.MaskEmail)
}

func notFound(op, msg string) *connectors.Error {
	return &connectors.Error{Kind: connectors.KindNotFound, Provider: Provider, Op: op, Message: msg}
}

func errorf(kind connectors.ErrorKind, op, format string, args ...any) *connectors.Error {
	return &connectors.Error{Kind: kind, Provider: Provider, Op: op, Message: fmt.Sprintf(format, args...)}
}
