// Package kibo is the Kibo eCommerce (Mozu) source: customer accounts of one
// tenant and site, streamed on the auditInfo.updateDate watermark with
// their commerceSummary as purchases, acceptsMarketing as consent (opt-in
// sync), opt-outs written back to every account that shares an email, and
// event notifications verified with Kibo's double SHA-256 signature.
//
// API facts: shared/research/sources.md §3. The emulator is in kibotest.
package kibo

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/transport"
)

const provider = "kibo"

// Secret keys.
const (
	keyApplicationID = "application-id"
	keySharedSecret  = "shared-secret"
	// keyEventSecret verifies event notifications. Kibo signs them with the
	// application's shared secret, which is used when this key is absent.
	keyEventSecret = "event-secret"
)

// limits: Kibo publishes per-tenant, per-route limits without figures and
// answers 429 with Retry-After: 60 past them; a few requests in flight
// keep a pass fast without tripping them.
var limits = connectors.Limits{Concurrency: 8}

func init() {
	connectors.RegisterSource(provider, connectors.SourceProvider{
		Keys:   connectors.KeySpec{OneOf: [][]string{{keyApplicationID, keySharedSecret}}, Optional: []string{keyEventSecret}},
		Limits: limits,
		New: func(spec *v1alpha1.SourceConnectionSpec, cfg connectors.Config) (connectors.Source, error) {
			return New(spec, cfg)
		},
	})
}

// Source reads one Kibo tenant and site. One Source is shared by every
// ContactSync of a credential, so its ticket and refresh lock are too.
type Source struct {
	tenant, site string
	apiBase      string // .../api of the tenant-site host
	authBase     string // .../api of the home host (auth tickets)
	appID        string
	secret       string
	eventSecret  string
	http         *http.Client
	cfg          connectors.Config
	concurrency  int
	now          func() time.Time

	ticketMu sync.Mutex // serialises ticket creation and refresh
	ticket   ticket
	// skew is the server clock minus ours, from the Date of responses, so
	// the watermark's upper bound is in Kibo's time.
	skew atomic.Int64
}

// New builds a Kibo source from the SourceConnection spec and its Secret.
func New(spec *v1alpha1.SourceConnectionSpec, cfg connectors.Config) (*Source, error) {
	invalid := func(msg string) error {
		return &connectors.Error{Kind: connectors.KindInvalid, Provider: provider, Op: "configure", Message: msg}
	}
	if spec == nil || spec.Kibo == nil {
		return nil, invalid("spec.kibo is not set")
	}
	if spec.Kibo.TenantID <= 0 || spec.Kibo.SiteID <= 0 {
		return nil, invalid(fmt.Sprintf("spec.kibo.tenantID (%d) and spec.kibo.siteID (%d) must be positive",
			spec.Kibo.TenantID, spec.Kibo.SiteID))
	}
	s := &Source{
		tenant: strconv.FormatInt(spec.Kibo.TenantID, 10), site: strconv.FormatInt(spec.Kibo.SiteID, 10),
		appID: cfg.Credential(keyApplicationID), secret: cfg.Credential(keySharedSecret),
		eventSecret: cfg.Credential(keyEventSecret),
		http:        cfg.HTTPClient, cfg: cfg, concurrency: limits.Concurrency, now: time.Now,
	}
	if s.appID == "" || s.secret == "" {
		return nil, &connectors.Error{Kind: connectors.KindAuth, Provider: provider, Op: "configure",
			Message: "the Secret needs application-id and shared-secret (Kibo Dev Center → your application → Application Keys)"}
	}
	if s.eventSecret == "" {
		s.eventSecret = s.secret
	}
	endpoint := firstNonEmpty(cfg.Endpoint, spec.Endpoint)
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, invalid(fmt.Sprintf("endpoint %q is not an http(s) URL", endpoint))
		}
		// The override replaces every host: tickets and tenant API share it.
		s.apiBase = strings.TrimRight(endpoint, "/") + "/api"
		s.authBase = s.apiBase
	} else {
		s.apiBase = fmt.Sprintf("https://t%s-s%s.mozu.com/api", s.tenant, s.site)
		s.authBase = "https://home.mozu.com/api"
	}
	if s.http == nil {
		s.http = transport.NewLimiter(provider, limits, transport.Options{}).Client()
	}
	if cfg.Token != nil {
		s.ticket = ticket{access: cfg.Token.AccessToken, refresh: cfg.Token.RefreshToken, expiry: cfg.Token.Expiry}
	}
	return s, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var (
	_ connectors.Source          = (*Source)(nil)
	_ connectors.StartCursorer   = (*Source)(nil)
	_ connectors.OptOutWriter    = (*Source)(nil)
	_ connectors.WebhookReceiver = (*Source)(nil)
)
