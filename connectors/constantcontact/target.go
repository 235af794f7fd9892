// Package constantcontact writes contacts into a Constant Contact list
// through the API v3: OAuth2 with rotating refresh tokens, bulk JSON
// imports for creates and updates, list-membership activities for
// segments, and unsubscribes polled back for reverse sync.
package constantcontact

import (
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/oauth2"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/transport"
)

// Provider is the registry name: the JSON name of the ListTarget block.
const Provider = "constantcontact"

// Real hosts, replaced together by Config.Endpoint.
const (
	apiRoot   = "https://api.cc.email"
	authRoot  = "https://authz.constantcontact.com"
	tokenPath = "/oauth2/default/v1/token"
)

// Limits: 4 requests/s and 10,000/day per application (targets.md §2.9).
// Burst 1 because the vendor counts a sliding second: a burst of 4
// followed by the steady rate would put 5 requests in one second. MaxBatch
// 5,000 keeps an import well under 4 MB with every column filled, so a
// first sync of N contacts costs about ceil(N/5000) imports plus polls.
var DefaultLimits = connectors.Limits{
	MaxBatch:          5000,
	MaxLookup:         5000,
	Concurrency:       4,
	RequestsPerSecond: 4,
	Burst:             1,
	DailyRequests:     10000,
}

// Keys of the Secret (DESIGN.md §1).
var Keys = connectors.KeySpec{
	OneOf:    [][]string{{"client-id", "refresh-token"}},
	Optional: []string{"client-secret", "access-token"},
}

func init() {
	connectors.RegisterTarget(Provider, connectors.TargetProvider{Keys: Keys, Limits: DefaultLimits,
		New: func(spec *v1alpha1.ListTargetSpec, cfg connectors.Config) (connectors.Target, error) {
			return New(spec, cfg)
		}})
}

// Target is a Constant Contact list. It is safe for concurrent use.
type Target struct {
	spec    v1alpha1.ConstantContactTarget
	api     *client
	limiter *transport.Limiter // nil when the controller supplied the HTTP client
	log     logr.Logger

	// resolveMu serialises the lookups and creations of lists, custom
	// fields and tags by name, so two batches never create one twice.
	resolveMu sync.Mutex
	mu        sync.Mutex
	list      connectors.ListInfo
	cat       *catalog
	idx       *index
}

// New builds a Target from the ListTarget spec and the Secret's data.
func New(spec *v1alpha1.ListTargetSpec, cfg connectors.Config) (*Target, error) {
	if spec == nil || spec.ConstantContact == nil {
		return nil, invalid("configure", "spec.constantContact is required")
	}
	if strings.TrimSpace(spec.ConstantContact.List) == "" {
		return nil, invalid("configure", "spec.constantContact.list must name a list or give its ID")
	}
	clientID := cfg.Credential("client-id")
	if clientID == "" {
		return nil, &connectors.Error{Kind: connectors.KindAuth, Provider: Provider, Op: "configure",
			Message: "the Secret has no client-id key: put the application's API key (client ID) in it"}
	}
	initial := &oauth2.Token{AccessToken: cfg.Credential("access-token"), RefreshToken: cfg.Credential("refresh-token")}
	if t := cfg.Token; t != nil && t.RefreshToken != "" {
		initial = &oauth2.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: t.Expiry}
	}
	if initial.RefreshToken == "" {
		return nil, &connectors.Error{Kind: connectors.KindAuth, Provider: Provider, Op: "configure",
			Message: "the Secret has no refresh-token key: authorise the app with the offline_access scope and put its refresh token in it"}
	}
	api, auth := apiRoot, authRoot
	if ep := strings.TrimRight(strings.TrimSpace(cfg.Endpoint), "/"); ep != "" {
		api, auth = ep, ep
	}
	t := &Target{spec: *spec.ConstantContact, log: cfg.Log}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		t.limiter = transport.NewLimiter(Provider, DefaultLimits, transport.Options{})
		httpClient = t.limiter.Client()
	}
	secret := cfg.Credential("client-secret")
	style := oauth2.AuthStyleInHeader
	if secret == "" { // PKCE (public) apps send client_id in the form
		style = oauth2.AuthStyleInParams
	}
	conf := &oauth2.Config{ClientID: clientID, ClientSecret: secret,
		Endpoint: oauth2.Endpoint{TokenURL: auth + tokenPath, AuthStyle: style}}
	t.api = &client{root: api, http: httpClient, tokens: newTokenSource(conf, httpClient, initial, cfg.OnTokenRotated)}
	return t, nil
}

// Limits declares batch sizes and the application's API limits.
func (t *Target) Limits() connectors.Limits { return DefaultLimits }

// DailyRemaining reports the requests left today (UTC) under the
// 10,000/day quota, as counted by this target's own limiter. It reports
// false when the controller supplied the HTTP client: the controller then
// reads the same figure from its transport.Pool limiter for the credential.
func (t *Target) DailyRemaining() (int, bool) {
	if t.limiter == nil {
		return 0, false
	}
	return t.limiter.DailyRemaining()
}

func invalid(op, msg string) *connectors.Error {
	return &connectors.Error{Kind: connectors.KindInvalid, Provider: Provider, Op: op, Message: msg}
}

// now is the clock of watermarks and cache freshness.
var now = time.Now
