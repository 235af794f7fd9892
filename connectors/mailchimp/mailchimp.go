// Package mailchimp is the Mailchimp Marketing API v3 target: it writes
// contacts into an audience with batch subscribe (500 per call), keeps
// Mailchimp's consent refusals as skips, maps fields to merge fields, moves
// members in and out of tags with the static-segment bulk endpoint, and
// reads unsubscribes back by polling and by webhook.
package mailchimp

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/singleflight"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/transport"
)

// Provider is the registry name: the JSON name of the ListTarget block.
const Provider = "mailchimp"

// Secret keys (DESIGN.md §1).
const (
	KeyAPIKey       = "api-key"
	KeyAccessToken  = "access-token"
	KeyServer       = "server"
	KeyWebhookToken = "webhook-token"
)

// limits: batch subscribe takes 500 members; a members page holds 1000;
// Mailchimp allows 10 simultaneous connections per user and has no
// per-second or daily quota (targets.md §1.8, §1.2, §1.11).
var limits = connectors.Limits{MaxBatch: 500, MaxLookup: 1000, Concurrency: 10}

func init() {
	connectors.RegisterTarget(Provider, connectors.TargetProvider{
		Keys: connectors.KeySpec{
			OneOf:    [][]string{{KeyAPIKey}, {KeyAccessToken, KeyServer}},
			Optional: []string{KeyWebhookToken},
		},
		Limits: limits,
		New: func(spec *v1alpha1.ListTargetSpec, cfg connectors.Config) (connectors.Target, error) {
			if spec == nil || spec.Mailchimp == nil {
				return nil, &connectors.Error{Kind: connectors.KindInvalid, Provider: Provider, Op: "configure",
					Message: "spec.mailchimp is missing"}
			}
			t, err := New(spec.Mailchimp.Audience, spec.Endpoint, cfg)
			if err != nil {
				return nil, err
			}
			return t, nil
		},
	})
}

var (
	_ connectors.Target            = (*Target)(nil)
	_ connectors.UnsubscribeReader = (*Target)(nil)
	_ connectors.WebhookReceiver   = (*Target)(nil)
)

// dcPattern is a Mailchimp data centre: us6, eu1, ap2…
var dcPattern = regexp.MustCompile(`^[a-z]{2,}[0-9]+$`)

// Target writes into one audience. It is safe for concurrent use.
type Target struct {
	audience     string
	base         string // API base URL, ending in /3.0
	auth         string // Authorization header value
	webhookToken string
	http         *http.Client
	log          logr.Logger

	fieldMu sync.Mutex         // serialises merge field creation
	loads   singleflight.Group // one load of fields, tags or snapshot at a time
	segMu   sync.Mutex         // serialises tag creation

	mu       sync.Mutex
	list     connectors.ListInfo // resolved audience; ID "" until Check or first use
	fields   *fieldMap           // merge fields, loaded on first use
	segments map[string]int      // tag name (lower-case) → static segment id
	snap     *snapshot           // audience snapshot for Lookup, or nil
	size     sizeHint            // audience size seen last
	now      func() time.Time
}

// New builds a target for an audience (name or ID). endpoint, when set,
// replaces every Mailchimp host: the API is then <endpoint>/3.0 whatever
// the data centre.
func New(audience, endpoint string, cfg connectors.Config) (*Target, error) {
	t := &Target{audience: strings.TrimSpace(audience), webhookToken: cfg.Credential(KeyWebhookToken),
		http: cfg.HTTPClient, log: cfg.Log, now: time.Now}
	if t.audience == "" {
		return nil, invalid("configure", "spec.mailchimp.audience is empty: set the audience's name or list ID")
	}
	var dc string
	switch key, token := cfg.Credential(KeyAPIKey), cfg.Credential(KeyAccessToken); {
	case key != "":
		i := strings.LastIndexByte(key, '-')
		if i < 0 || !dcPattern.MatchString(key[i+1:]) {
			return nil, &connectors.Error{Kind: connectors.KindAuth, Provider: Provider, Op: "configure",
				Message: "the Secret's api-key does not end with its data centre (like -us6): copy the whole key from Mailchimp (Profile → Extras → API keys)"}
		}
		dc = key[i+1:]
		t.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte("contactsync:"+key))
	case token != "":
		dc = cfg.Credential(KeyServer)
		if !dcPattern.MatchString(dc) {
			return nil, &connectors.Error{Kind: connectors.KindAuth, Provider: Provider, Op: "configure",
				Message: "the Secret's server must be the account's data centre (like us6), as the OAuth metadata endpoint reports it"}
		}
		t.auth = "Bearer " + token
	default:
		return nil, &connectors.Error{Kind: connectors.KindAuth, Provider: Provider, Op: "configure",
			Message: "the Secret needs api-key, or access-token and server"}
	}
	t.base = "https://" + dc + ".api.mailchimp.com/3.0"
	if endpoint != "" {
		t.base = strings.TrimRight(endpoint, "/") + "/3.0"
	}
	if t.http == nil {
		t.http = transport.NewLimiter(Provider, limits, transport.Options{}).Client()
	}
	return t, nil
}

// Limits declares Mailchimp's batch sizes and connection limit.
func (t *Target) Limits() connectors.Limits { return limits }

func invalid(op, msg string) *connectors.Error {
	return &connectors.Error{Kind: connectors.KindInvalid, Provider: Provider, Op: op, Message: msg}
}

// statusIfNew maps the neutral permission of a new contact (DESIGN.md §3).
func statusIfNew(p connectors.Permission) (string, error) {
	switch p {
	case connectors.PermissionExplicit, connectors.PermissionImplicit:
		return "subscribed", nil
	case connectors.PermissionNotSet:
		return "transactional", nil
	case connectors.PermissionPending:
		return "pending", nil
	}
	return "", fmt.Errorf("permission %q is not one of Explicit, Implicit, NotSet, Pending", p)
}

// memberStatus maps a member's status to neutral terms; archived members
// are out of the audience.
func memberStatus(s string) (connectors.MemberStatus, bool) {
	switch s {
	case "subscribed":
		return connectors.MemberSubscribed, true
	case "pending":
		return connectors.MemberPending, true
	case "transactional":
		return connectors.MemberNotSubscribed, true
	case "archived":
		return connectors.MemberNotSubscribed, false
	}
	// unsubscribed, cleaned and anything unknown: never subscribe again.
	return connectors.MemberOptedOut, true
}
