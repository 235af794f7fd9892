package connectors

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"github.com/contactsync/contactsync/api/v1alpha1"
)

// Token is an OAuth token the operator keeps between runs.
type Token struct {
	AccessToken  string
	RefreshToken string
	Expiry       time.Time
}

// Config is what a provider needs to build a connector. The controllers fill
// it from the custom resource and its Secret.
type Config struct {
	// Endpoint overrides every host of the provider (API, OAuth, auth
	// tickets) with one base URL; "" means the provider's real hosts.
	Endpoint string
	// Credentials is the data of the referenced Secret.
	Credentials map[string][]byte
	// Token is the latest rotated token the operator stored for this
	// credential, or nil: when set, its refresh token supersedes the
	// Secret's (the controller has checked that it descends from it).
	Token *Token
	// OnTokenRotated persists a newly issued token before it is used. A
	// provider whose refresh tokens rotate must call it, and must fail the
	// refresh if it returns an error: a lost rotated token locks us out.
	OnTokenRotated func(ctx context.Context, t Token) error
	// HTTPClient carries the shared per-credential limits, retries and call
	// counting (see NewHTTPClient); providers use it for every request.
	HTTPClient *http.Client
	// Log for the connector; never give it a secret or a full email.
	Log logr.Logger
}

// Credential returns the trimmed value of a Secret key, or "".
func (c Config) Credential(key string) string {
	return strings.TrimSpace(string(c.Credentials[key]))
}

// KeySpec declares the Secret keys a provider reads: every key of one of the
// alternatives in OneOf is required (so a provider can accept an API key or
// an OAuth token pair); Optional keys are read when present.
type KeySpec struct {
	OneOf    [][]string
	Optional []string
}

// Missing returns the keys to add to data for the closest alternative of
// OneOf to be complete, or nil when one alternative is complete.
func (k KeySpec) Missing(data map[string][]byte) []string {
	var best []string
	for i, alt := range k.OneOf {
		var missing []string
		for _, key := range alt {
			if strings.TrimSpace(string(data[key])) == "" {
				missing = append(missing, key)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if i == 0 || len(missing) < len(best) {
			best = missing
		}
	}
	return best
}

// String describes the accepted key sets for messages: "api-key, or access-token and server".
func (k KeySpec) String() string {
	alts := make([]string, 0, len(k.OneOf))
	for _, alt := range k.OneOf {
		alts = append(alts, strings.Join(alt, " and "))
	}
	return strings.Join(alts, ", or ")
}

// SourceProvider builds Sources of one kind.
type SourceProvider struct {
	// Keys the provider reads from the Secret.
	Keys KeySpec
	// Limits of the provider's API per credential, shared by every
	// ContactSync that uses the credential.
	Limits Limits
	// New builds a Source from the SourceConnection spec and a Config.
	New func(spec *v1alpha1.SourceConnectionSpec, cfg Config) (Source, error)
}

// TargetProvider builds Targets of one kind.
type TargetProvider struct {
	Keys   KeySpec
	Limits Limits
	// New builds a Target from the ListTarget spec and a Config.
	New func(spec *v1alpha1.ListTargetSpec, cfg Config) (Target, error)
}

var (
	registryMu sync.RWMutex
	sources    = map[string]SourceProvider{}
	targets    = map[string]TargetProvider{}
)

// RegisterSource adds a source provider under the name of its block in
// SourceConnectionSpec ("quickbooks"). It panics on a duplicate: two
// providers with one name is a programming error.
func RegisterSource(name string, p SourceProvider) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := sources[name]; dup {
		panic(fmt.Sprintf("connectors: source provider %q registered twice", name))
	}
	sources[name] = p
}

// RegisterTarget adds a target provider under the name of its block in
// ListTargetSpec ("mailchimp").
func RegisterTarget(name string, p TargetProvider) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := targets[name]; dup {
		panic(fmt.Sprintf("connectors: target provider %q registered twice", name))
	}
	targets[name] = p
}

// ForceRegisterSource adds or replaces a source provider; tests use it to
// register fakes the way real providers register.
func ForceRegisterSource(name string, p SourceProvider) {
	registryMu.Lock()
	defer registryMu.Unlock()
	sources[name] = p
}

// ForceRegisterTarget adds or replaces a target provider (tests).
func ForceRegisterTarget(name string, p TargetProvider) {
	registryMu.Lock()
	defer registryMu.Unlock()
	targets[name] = p
}

// SourceFor returns the source provider of that name.
func SourceFor(name string) (SourceProvider, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	p, ok := sources[name]
	return p, ok
}

// TargetFor returns the target provider of that name.
func TargetFor(name string) (TargetProvider, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	p, ok := targets[name]
	return p, ok
}

// Registered lists the registered provider names, sorted, for messages.
func Registered() (sourceNames, targetNames []string) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	for n := range sources {
		sourceNames = append(sourceNames, n)
	}
	for n := range targets {
		targetNames = append(targetNames, n)
	}
	sort.Strings(sourceNames)
	sort.Strings(targetNames)
	return sourceNames, targetNames
}
