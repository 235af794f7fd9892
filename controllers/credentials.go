package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/transport"
)

// Keys of the operator-owned "<connection>-oauth-state" Secret.
const (
	stateAccessToken  = "access-token"
	stateRefreshToken = "refresh-token"
	stateExpiry       = "expiry"
	// stateDescendsFrom is a hash of the user's refresh token that the stored
	// one descends from: when the user puts a new token in their Secret (a
	// re-authorisation), the hashes differ and the user's token wins.
	stateDescendsFrom = "descends-from"
	oauthStateSuffix  = "-oauth-state"
	userRefreshKey    = "refresh-token"
)

// Credentials reads the Secrets of connections and builds connector configs:
// Secret data read with the uncached API reader, required keys checked,
// rotated OAuth tokens restored from and persisted to the operator-owned
// state Secret, and the HTTP client of the credential's shared limiter.
type Credentials struct {
	// Reader reads Secrets without the cache (the manager's API reader).
	Reader client.Reader
	// Writer writes the oauth-state Secrets.
	Writer client.Client
	// Limiters hands out one limiter per credential.
	Limiters *transport.Pool
	Log      logr.Logger

	// Connectors are kept per connection while its spec and Secret stay the
	// same, so that every ContactSync of a connection shares one connector:
	// that is what serialises OAuth refreshes of one credential.
	mu      sync.Mutex
	sources map[types.UID]cached[connectors.Source]
	targets map[types.UID]cached[connectors.Target]
}

type cached[T any] struct {
	key string
	val T
	// lim is the credential's shared limiter (for its daily quota).
	lim *transport.Limiter
}

// cacheKey changes whenever what a connector is built from changes.
func cacheKey(owner connection, s *corev1.Secret) string {
	return fmt.Sprintf("%d/%s/%s", owner.GetGeneration(), s.UID, s.ResourceVersion)
}

// connection is what Source and Target connections have in common.
type connection interface {
	client.Object
}

// secretFor reads the Secret a connection references, in its own namespace.
func (c *Credentials) secretFor(ctx context.Context, owner connection, ref csv1.LocalObjectReference) (*corev1.Secret, error) {
	var s corev1.Secret
	key := types.NamespacedName{Namespace: owner.GetNamespace(), Name: ref.Name}
	if err := c.Reader.Get(ctx, key, &s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, stalledf(csv1.ReasonSecretNotFound,
				"Secret %q not found in namespace %q (spec.credentialsRef.name)", ref.Name, owner.GetNamespace())
		}
		return nil, fmt.Errorf("reading Secret %s/%s: %w", owner.GetNamespace(), ref.Name, err)
	}
	return &s, nil
}

// checkKeys reports missing Secret keys in words a person can act on.
func checkKeys(s *corev1.Secret, provider string, keys connectors.KeySpec) error {
	if missing := keys.Missing(s.Data); len(missing) > 0 {
		return stalledf(csv1.ReasonMissingKey, "Secret %q lacks key(s) %v: %s needs %s",
			s.Name, missing, provider, keys.String())
	}
	return nil
}

// config builds a connector Config from a connection's Secret.
func (c *Credentials) config(ctx context.Context, owner connection, s *corev1.Secret, provider, endpoint string, limits connectors.Limits) (connectors.Config, error) {
	cfg := connectors.Config{
		Endpoint:    endpoint,
		Credentials: s.Data,
		Log:         c.Log.WithValues("provider", provider, "namespace", owner.GetNamespace(), "connection", owner.GetName()),
	}
	lim := c.Limiters.Limiter(string(s.UID), provider, limits)
	cfg.HTTPClient = lim.Client()

	userHash := tokenHash(s.Data[userRefreshKey])
	if tok, err := c.loadToken(ctx, owner, userHash); err != nil {
		return cfg, err
	} else {
		cfg.Token = tok
	}
	cfg.OnTokenRotated = func(ctx context.Context, t connectors.Token) error {
		return c.saveToken(ctx, owner, userHash, t)
	}
	return cfg, nil
}

func tokenHash(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func stateName(owner connection) string { return owner.GetName() + oauthStateSuffix }

// loadToken returns the stored token when it descends from the user's
// current refresh token, nil otherwise.
func (c *Credentials) loadToken(ctx context.Context, owner connection, userHash string) (*connectors.Token, error) {
	var s corev1.Secret
	err := c.Reader.Get(ctx, types.NamespacedName{Namespace: owner.GetNamespace(), Name: stateName(owner)}, &s)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading oauth state Secret %s/%s: %w", owner.GetNamespace(), stateName(owner), err)
	}
	if string(s.Data[stateDescendsFrom]) != userHash || len(s.Data[stateRefreshToken]) == 0 {
		return nil, nil
	}
	t := &connectors.Token{AccessToken: string(s.Data[stateAccessToken]), RefreshToken: string(s.Data[stateRefreshToken])}
	if exp, err := time.Parse(time.RFC3339, string(s.Data[stateExpiry])); err == nil {
		t.Expiry = exp
	}
	return t, nil
}

// saveToken writes a rotated token to the operator-owned state Secret, owned
// by the connection so that it goes with it. The user's Secret is never
// written: GitOps or External Secrets would revert it.
func (c *Credentials) saveToken(ctx context.Context, owner connection, userHash string, t connectors.Token) error {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: owner.GetNamespace(), Name: stateName(owner)}}
	_, err := controllerutil.CreateOrUpdate(ctx, c.Writer, s, func() error {
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		s.Labels["app.kubernetes.io/managed-by"] = "contactsync"
		s.Labels["contactsync.io/oauth-state"] = "true"
		s.Type = corev1.SecretTypeOpaque
		s.Data = map[string][]byte{
			stateAccessToken:  []byte(t.AccessToken),
			stateRefreshToken: []byte(t.RefreshToken),
			stateDescendsFrom: []byte(userHash),
		}
		if !t.Expiry.IsZero() {
			s.Data[stateExpiry] = []byte(t.Expiry.UTC().Format(time.RFC3339))
		}
		return controllerutil.SetOwnerReference(owner, s, c.Writer.Scheme())
	})
	if err != nil {
		return fmt.Errorf("storing rotated token in Secret %s/%s: %w", owner.GetNamespace(), stateName(owner), err)
	}
	return nil
}

// SourceFor builds the Source of a SourceConnection.
func (c *Credentials) SourceFor(ctx context.Context, sc *csv1.SourceConnection) (connectors.Source, error) {
	name := sc.Spec.ProviderName()
	p, ok := connectors.SourceFor(name)
	if !ok {
		return nil, stalledf(csv1.ReasonProviderNotSupported, "no source provider %q is available in this build", name)
	}
	s, err := c.secretFor(ctx, sc, sc.Spec.CredentialsRef)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(s, name, p.Keys); err != nil {
		return nil, err
	}
	key := cacheKey(sc, s)
	c.mu.Lock()
	defer c.mu.Unlock()
	if hit, ok := c.sources[sc.UID]; ok && hit.key == key {
		return hit.val, nil
	}
	cfg, err := c.config(ctx, sc, s, name, sc.Spec.Endpoint, p.Limits)
	if err != nil {
		return nil, err
	}
	src, err := p.New(&sc.Spec, cfg)
	if err != nil {
		return nil, stalledf(csv1.ReasonInvalidConfig, "%s: %v", name, err)
	}
	if c.sources == nil {
		c.sources = map[types.UID]cached[connectors.Source]{}
	}
	c.sources[sc.UID] = cached[connectors.Source]{key: key, val: src}
	return src, nil
}

// TargetFor builds the Target of a ListTarget.
func (c *Credentials) TargetFor(ctx context.Context, lt *csv1.ListTarget) (connectors.Target, error) {
	name := lt.Spec.ProviderName()
	p, ok := connectors.TargetFor(name)
	if !ok {
		return nil, stalledf(csv1.ReasonProviderNotSupported, "no target provider %q is available in this build", name)
	}
	s, err := c.secretFor(ctx, lt, lt.Spec.CredentialsRef)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(s, name, p.Keys); err != nil {
		return nil, err
	}
	key := cacheKey(lt, s)
	c.mu.Lock()
	defer c.mu.Unlock()
	if hit, ok := c.targets[lt.UID]; ok && hit.key == key {
		return hit.val, nil
	}
	cfg, err := c.config(ctx, lt, s, name, lt.Spec.Endpoint, p.Limits)
	if err != nil {
		return nil, err
	}
	tgt, err := p.New(&lt.Spec, cfg)
	if err != nil {
		return nil, stalledf(csv1.ReasonInvalidConfig, "%s: %v", name, err)
	}
	if c.targets == nil {
		c.targets = map[types.UID]cached[connectors.Target]{}
	}
	c.targets[lt.UID] = cached[connectors.Target]{key: key, val: tgt,
		lim: c.Limiters.Limiter(string(s.UID), name, p.Limits)}
	return tgt, nil
}

// Forget drops the cached connectors of a deleted connection.
func (c *Credentials) Forget(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.sources, uid)
	delete(c.targets, uid)
}

// DailyRemaining returns the requests left today on the credential of a
// ListTarget, for providers with a daily quota (Constant Contact).
func (c *Credentials) DailyRemaining(lt *csv1.ListTarget) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if hit, ok := c.targets[lt.UID]; ok && hit.lim != nil {
		return hit.lim.DailyRemaining()
	}
	return 0, false
}
