// Package magento is the Magento 2 / Adobe Commerce source connector. It
// polls customers/search on updated_at (Magento Open Source has no outbound
// webhooks), reads is_subscribed as consent, sums orders into purchases,
// and writes opt-outs back with PUT /V1/customers/{id}.
//
// Credentials: the integration's access token as a Bearer token (only when
// the store enables oauth/consumer/enable_integration_as_bearer), or all four
// OAuth 1.0a credentials, with which every request is signed (HMAC-SHA256).
// Both share the access-token key; consumer-key decides which is used.
package magento

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/dghubble/oauth1"
	"github.com/go-logr/logr"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/transport"
)

// Name is the provider's registry name.
const Name = "magento"

// Secret keys.
const (
	KeyAccessToken       = "access-token"
	KeyConsumerKey       = "consumer-key"
	KeyConsumerSecret    = "consumer-secret"
	KeyAccessTokenSecret = "access-token-secret"
)

// Limits: core Magento has no REST rate limit; stay polite with a bounded
// number of requests in flight per store.
var Limits = connectors.Limits{Concurrency: 12}

func init() {
	connectors.RegisterSource(Name, connectors.SourceProvider{
		Keys: connectors.KeySpec{OneOf: [][]string{
			{KeyAccessToken},
			{KeyConsumerKey, KeyConsumerSecret, KeyAccessToken, KeyAccessTokenSecret},
		}},
		Limits: Limits,
		New: func(spec *v1alpha1.SourceConnectionSpec, cfg connectors.Config) (connectors.Source, error) {
			return New(spec, cfg)
		},
	})
}

// Source reads one Magento store view.
type Source struct {
	base      string // .../rest/<store>/V1/
	storeCode string
	host      string
	http      *http.Client
	bearer    string // "" when requests are OAuth-signed
	log       logr.Logger
	// Tunables (tests and benchmarks).
	pageSize    int // customers per page (Magento's max with input limits: 300)
	orderBatch  int // customers per orders query (keeps URLs short)
	prefetch    int // pages fetched ahead of the one being delivered
	maxBoundary int // IDs kept at the watermark second in the cursor
}

var (
	_ connectors.Source        = (*Source)(nil)
	_ connectors.StartCursorer = (*Source)(nil)
	_ connectors.OptOutWriter  = (*Source)(nil)
)

// New builds a Source from the SourceConnection's magento block and Secret.
func New(spec *v1alpha1.SourceConnectionSpec, cfg connectors.Config) (*Source, error) {
	if spec == nil || spec.Magento == nil {
		return nil, &connectors.Error{Kind: connectors.KindInvalid, Provider: Name, Op: "configure", Message: "spec.magento is not set"}
	}
	base := spec.Magento.BaseURL
	if cfg.Endpoint != "" {
		base = cfg.Endpoint
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &connectors.Error{Kind: connectors.KindInvalid, Provider: Name, Op: "configure",
			Message: fmt.Sprintf("spec.magento.baseURL (or endpoint) %q is not an http(s) URL", base)}
	}
	store := spec.Magento.StoreCode
	if store == "" {
		store = "default"
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = transport.NewLimiter(Name, Limits, transport.Options{}).Client()
	}
	s := &Source{base: u.String() + "/rest/" + store + "/V1/", storeCode: store, host: u.Host, log: cfg.Log,
		pageSize: 300, orderBatch: 100, prefetch: 8, maxBoundary: 1000}
	token := cfg.Credential(KeyAccessToken)
	if token == "" {
		return nil, authConfigError("the Secret has no " + KeyAccessToken)
	}
	if cfg.Credential(KeyConsumerKey) == "" {
		s.bearer, s.http = token, hc
		return s, nil
	}
	for _, k := range []string{KeyConsumerSecret, KeyAccessTokenSecret} {
		if cfg.Credential(k) == "" {
			return nil, authConfigError("the Secret has " + KeyConsumerKey + " but no " + k + " (OAuth 1.0a needs all four keys)")
		}
	}
	oc := &oauth1.Config{ConsumerKey: cfg.Credential(KeyConsumerKey), ConsumerSecret: cfg.Credential(KeyConsumerSecret),
		Signer: &oauth1.HMAC256Signer{ConsumerSecret: cfg.Credential(KeyConsumerSecret)}}
	// Signing wraps the shared client, so limits, retries and call counting still apply.
	s.http = oc.Client(context.WithValue(context.Background(), oauth1.HTTPClient, hc),
		oauth1.NewToken(token, cfg.Credential(KeyAccessTokenSecret)))
	return s, nil
}

func authConfigError(msg string) error {
	return &connectors.Error{Kind: connectors.KindAuth, Provider: Name, Op: "configure",
		Message: msg + ": give " + KeyAccessToken + " (integration token, Bearer) or " + KeyConsumerKey + ", " +
			KeyConsumerSecret + ", " + KeyAccessToken + " and " + KeyAccessTokenSecret + " (OAuth 1.0a)"}
}

// Check names the store view and proves the integration may read customers.
func (s *Source) Check(ctx context.Context) (connectors.Account, error) {
	var views []struct {
		ID   int64  `json:"id"`
		Code string `json:"code"`
		Name string `json:"name"`
	}
	if err := s.get(ctx, "read store views", "store/storeViews", nil, &views); err != nil {
		return connectors.Account{}, err
	}
	acc := connectors.Account{ID: s.host + "/" + s.storeCode}
	for _, v := range views {
		if v.Code == s.storeCode {
			acc.Name = v.Name
		}
	}
	if acc.Name == "" && s.storeCode != "default" && s.storeCode != "all" {
		return connectors.Account{}, &connectors.Error{Kind: connectors.KindNotFound, Provider: Name, Op: "read store views",
			Message: fmt.Sprintf("store view %q does not exist: check spec.magento.storeCode", s.storeCode)}
	}
	if acc.Name == "" {
		acc.Name = s.host
	}
	var probe customerPage
	q := search{pageSize: 1, page: 1}
	if err := s.get(ctx, "search customers", "customers/search", q.values(), &probe); err != nil {
		return connectors.Account{}, err
	}
	return acc, nil
}
