// Package quickbooks is the QuickBooks Online source: customers with their
// invoice, sales-receipt and refund totals, streamed in pages.
//
// A first sync or full pass pages through every customer (active and
// inactive) by MetaData.LastUpdatedTime, keyset style: the watermark is
// inclusive and the IDs at the boundary are de-duplicated, so a restart
// resumes exactly after the last page written. Incremental runs use Change
// Data Capture, which covers customers and their transactions in one call
// (an idle run costs one call), as long as the cursor is within CDC's 30
// days; otherwise, or when one CDC answer is full (1,000 objects), the
// source falls back to a full pass. Purchases are fetched for each page's
// customers in batches (CustomerRef IN (…)), never by scanning every order.
//
// OAuth refresh tokens rotate: each new token is handed to
// Config.OnTokenRotated before it is used, and refreshes are serialised per
// connector (the controller shares one connector per credential).
// QuickBooks has no marketing opt-in, so Consent is always Unknown and there
// is nothing to write opt-outs back to.
package quickbooks

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/go-logr/logr"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/transport"
)

// Provider is the registry name: the JSON name of the spec block.
const Provider = "quickbooks"

// Secret keys.
const (
	KeyClientID             = "client-id"
	KeyClientSecret         = "client-secret"
	KeyRefreshToken         = "refresh-token"
	KeyWebhookVerifierToken = "webhook-verifier-token"
)

// Real hosts; Config.Endpoint replaces all of them.
const (
	productionAPI = "https://quickbooks.api.intuit.com"
	sandboxAPI    = "https://sandbox-quickbooks.api.intuit.com"
	oauthHost     = "https://oauth.platform.intuit.com"
	tokenPath     = "/oauth2/v1/tokens/bearer"
	minorVersion  = "75"
)

// Limits are Intuit's per-realm throttle (500 requests a minute, 10 in
// flight). The token bucket keeps burst + 60 × rate within 500 so that no
// sliding minute exceeds Intuit's window.
var Limits = connectors.Limits{Concurrency: 10, RequestsPerSecond: 7.5, Burst: 50}

func init() {
	connectors.RegisterSource(Provider, connectors.SourceProvider{
		Keys: connectors.KeySpec{
			OneOf:    [][]string{{KeyClientID, KeyClientSecret, KeyRefreshToken}},
			Optional: []string{KeyWebhookVerifierToken},
		},
		Limits: Limits,
		New: func(spec *v1alpha1.SourceConnectionSpec, cfg connectors.Config) (connectors.Source, error) {
			s, err := New(spec, cfg)
			if err != nil {
				return nil, err // not a typed nil in the interface
			}
			return s, nil
		},
	})
}

// Source reads one QuickBooks company.
type Source struct {
	realm    string
	apiBase  string
	http     *http.Client
	log      logr.Logger
	verifier string
	auth     *tokens
	// now is the clock that decides whether a cursor is within the CDC window.
	now func() time.Time
	// cdcMax is the most objects one CDC answer carries (Intuit: 1,000): a
	// full answer may have left changes out, so the source runs a full pass.
	cdcMax int
}

var (
	_ connectors.Source          = (*Source)(nil)
	_ connectors.StartCursorer   = (*Source)(nil)
	_ connectors.WebhookReceiver = (*Source)(nil)
)

var realmPattern = regexp.MustCompile(`^[0-9]{1,32}$`)

// New builds a Source from the SourceConnection spec and its Secret.
func New(spec *v1alpha1.SourceConnectionSpec, cfg connectors.Config) (*Source, error) {
	invalid := func(format string, a ...any) error {
		return &connectors.Error{Kind: connectors.KindInvalid, Provider: Provider, Op: "configure", Message: fmt.Sprintf(format, a...)}
	}
	if spec == nil || spec.QuickBooks == nil {
		return nil, invalid("spec.quickbooks is required")
	}
	qb := spec.QuickBooks
	if !realmPattern.MatchString(qb.RealmID) {
		return nil, invalid("spec.quickbooks.realmID %q must be the company ID: digits only", qb.RealmID)
	}
	apiBase, tokenURL := productionAPI, oauthHost+tokenPath
	switch qb.Environment {
	case "", "production":
	case "sandbox":
		apiBase = sandboxAPI
	default:
		return nil, invalid("spec.quickbooks.environment %q must be production or sandbox", qb.Environment)
	}
	if ep := strings.TrimRight(cfg.Endpoint, "/"); ep != "" {
		if !strings.HasPrefix(ep, "http://") && !strings.HasPrefix(ep, "https://") {
			return nil, invalid("spec.endpoint %q must be an http(s) URL", ep)
		}
		apiBase, tokenURL = ep, ep+tokenPath
	}
	var missing []string
	for _, k := range []string{KeyClientID, KeyClientSecret, KeyRefreshToken} {
		if cfg.Credential(k) == "" && !(k == KeyRefreshToken && cfg.Token != nil && cfg.Token.RefreshToken != "") {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, &connectors.Error{Kind: connectors.KindAuth, Provider: Provider, Op: "configure",
			Message: "the credentials Secret lacks key(s) " + strings.Join(missing, ", ") +
				": add the app's client ID and secret and a refresh token from connecting the app to company " + qb.RealmID}
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = transport.NewLimiter(Provider, Limits, transport.Options{}).Client()
	}
	s := &Source{realm: qb.RealmID, apiBase: apiBase, http: hc, log: cfg.Log,
		verifier: cfg.Credential(KeyWebhookVerifierToken), now: time.Now, cdcMax: 1000}
	s.auth = newTokens(cfg, tokenURL, hc, qb.RealmID)
	return s, nil
}

// Check reads the company's name.
func (s *Source) Check(ctx context.Context) (connectors.Account, error) {
	var out struct {
		CompanyInfo struct {
			CompanyName string
			LegalName   string
		}
	}
	if err := s.get(ctx, "read company info", "/companyinfo/"+s.realm, nil, &out); err != nil {
		return connectors.Account{}, err
	}
	name := out.CompanyInfo.CompanyName
	if name == "" {
		name = out.CompanyInfo.LegalName
	}
	return connectors.Account{ID: s.realm, Name: name}, nil
}
