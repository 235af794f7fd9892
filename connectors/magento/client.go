package magento

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/transport"
)

const maxBody = 64 << 20

func (s *Source) get(ctx context.Context, op, path string, q url.Values, out any) error {
	return s.do(ctx, op, http.MethodGet, path, q, nil, out)
}

// do sends one request and decodes a 2xx JSON answer into out. A request
// whose OAuth nonce the store had already seen (a retry of a signed request
// re-sends its header) is signed afresh once.
func (s *Source) do(ctx context.Context, op, method, path string, q url.Values, body []byte, out any) error {
	for attempt := 0; ; attempt++ {
		err := s.once(ctx, op, method, path, q, body, out)
		if attempt == 0 && s.bearer == "" && isNonceReuse(err) {
			continue
		}
		return err
	}
}

func (s *Source) once(ctx context.Context, op, method, path string, q url.Values, body []byte, out any) error {
	u := s.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return &connectors.Error{Kind: connectors.KindInvalid, Provider: Name, Op: op, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+s.bearer)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		if connectors.KindOf(err) != connectors.KindTransient || ctx.Err() != nil {
			return err
		}
		return &connectors.Error{Kind: connectors.KindTransient, Provider: Name, Op: op, Err: err}
	}
	data, err := transport.ReadBody(resp, maxBody)
	if err != nil {
		return &connectors.Error{Kind: connectors.KindTransient, Provider: Name, Op: op, StatusCode: resp.StatusCode, Err: err}
	}
	if resp.StatusCode/100 != 2 {
		return classify(op, resp, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return &connectors.Error{Kind: connectors.KindTransient, Provider: Name, Op: op, StatusCode: resp.StatusCode,
				Message: "the store answered with a body that is not the expected JSON", Err: err}
		}
	}
	return nil
}

// apiError is Magento's error body.
type apiError struct {
	Message    string          `json:"message"`
	Parameters json.RawMessage `json:"parameters"`
}

// classify turns an error response into a connectors.Error, with Magento's
// placeholders substituted and email addresses masked.
func classify(op string, resp *http.Response, data []byte) error {
	e := &connectors.Error{Provider: Name, Op: op, StatusCode: resp.StatusCode}
	var body apiError
	if json.Unmarshal(data, &body) == nil && body.Message != "" {
		e.Message = maskEmails(substitute(body.Message, body.Parameters))
	} else {
		e.Message = "non-JSON response (a proxy or firewall in front of the store?)"
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusTooManyRequests:
		e.Kind = connectors.KindRateLimited
		e.RetryAfter = transport.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case code >= 500:
		e.Kind = connectors.KindTransient
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		e.Kind = connectors.KindAuth
		e.Message += "; check the integration's tokens in the Secret, that the integration is active and allowed " +
			"Customers, Sales and Stores resources, and for a Bearer token that the store enables " +
			"oauth/consumer/enable_integration_as_bearer (or give all four OAuth 1.0a keys)"
	case code == http.StatusNotFound:
		e.Kind = connectors.KindNotFound
		if strings.Contains(body.Message, "does not match any route") {
			e.Message += "; check spec.magento.baseURL: it must be the store's root, without /rest"
		}
	case strings.Contains(body.Message, "store that was requested wasn't found"):
		e.Kind = connectors.KindNotFound
		e.Message += "; check spec.magento.storeCode"
	default:
		e.Kind = connectors.KindInvalid
	}
	return e
}

func isNonceReuse(err error) bool {
	e, ok := err.(*connectors.Error)
	return ok && e.StatusCode == http.StatusUnauthorized && strings.Contains(e.Message, "nonce is already being used")
}

var placeholder = regexp.MustCompile(`%(\d+|[A-Za-z_][A-Za-z0-9_]*)`)

// substitute fills %1, %2 (positional parameters) or %name (named ones).
func substitute(msg string, raw json.RawMessage) string {
	var named map[string]any
	var positional []any
	if json.Unmarshal(raw, &named) != nil && json.Unmarshal(raw, &positional) != nil {
		return msg
	}
	// Longest names first, so %fieldName is not taken for %field.
	keys := make([]string, 0, len(named))
	for k := range named {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	return placeholder.ReplaceAllStringFunc(msg, func(m string) string {
		name := m[1:]
		if n, err := strconv.Atoi(name); err == nil {
			if n >= 1 && n <= len(positional) {
				return fmt.Sprint(positional[n-1])
			}
			return m
		}
		for _, k := range keys {
			if strings.HasPrefix(name, k) {
				return fmt.Sprint(named[k]) + name[len(k):]
			}
		}
		return m
	})
}

var emailLike = regexp.MustCompile(`[^\s"'<>,;:()]+@[^\s"'<>,;:()]+`)

func maskEmails(s string) string { return emailLike.ReplaceAllStringFunc(s, connectors.MaskEmail) }
