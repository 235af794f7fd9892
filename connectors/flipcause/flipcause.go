// Package flipcause is the Flipcause source connector. Flipcause has no read
// API: donors and transactions arrive only by webhook, batched, on a URL that
// carries a secret token in its path (Flipcause signs nothing). The connector
// therefore verifies that token, parses batches into canonical contacts with
// their purchases, and has nothing to poll.
package flipcause

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-logr/logr"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
)

// Name is the provider's registry name.
const Name = "flipcause"

// KeyWebhookToken is the Secret key of the path token.
const KeyWebhookToken = "webhook-token"

// MinTokenLength is the shortest token Check accepts: 24 URL-safe
// characters carry well over 128 bits when generated at random.
const MinTokenLength = 24

func init() {
	connectors.RegisterSource(Name, connectors.SourceProvider{
		Keys: connectors.KeySpec{OneOf: [][]string{{KeyWebhookToken}}},
		New: func(_ *v1alpha1.SourceConnectionSpec, cfg connectors.Config) (connectors.Source, error) {
			return New(cfg)
		},
	})
}

// Source receives Flipcause webhooks for one connection.
type Source struct {
	token string
	log   logr.Logger
}

var (
	_ connectors.Source          = (*Source)(nil)
	_ connectors.WebhookReceiver = (*Source)(nil)
)

// New builds a Source from the connection's Secret.
func New(cfg connectors.Config) (*Source, error) {
	token := cfg.Credential(KeyWebhookToken)
	if token == "" {
		return nil, &connectors.Error{Kind: connectors.KindAuth, Provider: Name, Op: "configure",
			Message: "the Secret has no " + KeyWebhookToken + ": add a long random token and use it as the last path segment of the webhook URL in Flipcause"}
	}
	return &Source{token: token, log: cfg.Log}, nil
}

// Check verifies that the token is strong enough to be the only guard of the
// webhook URL and names the account after a digest of it (never the token).
func (s *Source) Check(context.Context) (connectors.Account, error) {
	if err := tokenStrength(s.token); err != nil {
		return connectors.Account{}, &connectors.Error{Kind: connectors.KindAuth, Provider: Name, Op: "check webhook token",
			Message: err.Error()}
	}
	sum := sha256.Sum256([]byte(s.token))
	return connectors.Account{ID: "webhook-" + hex.EncodeToString(sum[:4]), Name: "Flipcause (webhook push)"}, nil
}

// tokenStrength rejects tokens an attacker could guess and tokens that
// cannot travel unescaped in a URL path.
func tokenStrength(token string) error {
	if len(token) < MinTokenLength {
		return fmt.Errorf("%s is %d characters long; use at least %d random characters (for example: openssl rand -hex 24)",
			KeyWebhookToken, len(token), MinTokenLength)
	}
	distinct := map[rune]bool{}
	for _, r := range token {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.~", r)) {
			return fmt.Errorf("%s may only hold letters, digits and - _ . ~ (it is a URL path segment)", KeyWebhookToken)
		}
		distinct[r] = true
	}
	if len(distinct) < 8 {
		return fmt.Errorf("%s repeats too few characters to be random; generate one (for example: openssl rand -hex 24)", KeyWebhookToken)
	}
	return nil
}

// Changes returns at once: Flipcause only pushes.
func (s *Source) Changes(context.Context, string, func(connectors.Page) error) error { return nil }

// VerifyWebhook checks the token in the last segment of the request path
// (the receiver routes /webhooks/flipcause/<token>), in constant time.
func (s *Source) VerifyWebhook(r *http.Request, _ []byte) error {
	path := strings.TrimRight(r.URL.Path, "/")
	got := path[strings.LastIndexByte(path, '/')+1:]
	// Compare digests so neither the content nor the length of the token leaks through timing.
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(s.token))
	if got == "" || subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return &connectors.Error{Kind: connectors.KindAuth, Provider: Name, Op: "verify webhook", StatusCode: http.StatusUnauthorized,
			Message: "the webhook URL's last path segment does not match the connection's " + KeyWebhookToken}
	}
	return nil
}

// ParseWebhook turns a verified batch into contacts with their purchases.
func (s *Source) ParseWebhook(_ *http.Request, body []byte) (connectors.WebhookEvent, error) {
	records, err := decodeBatch(body)
	if err != nil {
		return connectors.WebhookEvent{}, &connectors.Error{Kind: connectors.KindInvalid, Provider: Name, Op: "parse webhook", Err: err}
	}
	contacts, skipped := aggregate(records)
	for _, sk := range skipped {
		s.log.Info("skipped Flipcause webhook record", "record", sk.id, "reason", sk.reason)
	}
	return connectors.WebhookEvent{Contacts: contacts}, nil
}
