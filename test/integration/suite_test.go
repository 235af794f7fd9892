// Package integration holds the end-to-end tests of issue 6: a real
// kube-apiserver (envtest), the real manager built by controllers.Setup, the
// real connectors registered as in main, and the provider emulators served
// on loopback. Each test works in a namespace of its own.
package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/controllers"

	// The real connectors, registered as main registers them.
	_ "github.com/contactsync/contactsync/connectors/constantcontact"
	_ "github.com/contactsync/contactsync/connectors/flipcause"
	_ "github.com/contactsync/contactsync/connectors/kibo"
	_ "github.com/contactsync/contactsync/connectors/magento"
	_ "github.com/contactsync/contactsync/connectors/mailchimp"
	_ "github.com/contactsync/contactsync/connectors/quickbooks"
)

// isolatedLabel marks objects that the suite's shared manager must not see:
// the restart test runs managers of its own on them, and two managers on one
// ContactSync would break the one-run-at-a-time rule the test checks.
const isolatedLabel = "integration.contactsync.io/isolated"

var (
	cfg        *rest.Config
	k8s        client.Client
	scheme     = runtime.NewScheme()
	skipReason string
	// logs holds everything the managers log, to check that no secret and
	// no full email address ever reaches a log line.
	logs lockedBuffer
	// metricsURL and webhookURL are the shared manager's endpoints.
	metricsURL, webhookURL string
)

func TestMain(m *testing.M) { os.Exit(runSuite(m)) }

func runSuite(m *testing.M) int {
	var out io.Writer = &logs
	if os.Getenv("TEST_VERBOSE") != "" {
		out = io.MultiWriter(&logs, os.Stderr)
	}
	// V(2) and below: debug lines are where a careless value slips out.
	logf.SetLogger(zap.New(zap.WriteTo(out), zap.Level(zapcore.Level(-2))))
	_ = clientgoscheme.AddToScheme(scheme)
	_ = csv1.AddToScheme(scheme)

	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		if _, err := os.Stat(filepath.Join(root, "bin", "kube-apiserver")); err == nil {
			assets = filepath.Join(root, "bin")
		}
	}
	if assets == "" {
		skipReason = "no kube-apiserver: run `make test` (it builds bin/kube-apiserver and bin/etcd) or set KUBEBUILDER_ASSETS"
		return m.Run()
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	if cfg, err = env.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "starting envtest: %v\n", err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintf(os.Stderr, "client: %v\n", err)
		return 1
	}

	metricsAddr, err := freeAddr()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	hookAddr, err := freeAddr()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	notIsolated, _ := labels.Parse("!" + isolatedLabel)
	shared := cache.ByObject{Label: notIsolated}
	stop, err := startManager(ctrl.Options{
		Metrics: metricsserver.Options{BindAddress: metricsAddr},
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&csv1.ContactSync{}: shared, &csv1.SourceConnection{}: shared, &csv1.ListTarget{}: shared,
		}},
	}, hookAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	metricsURL, webhookURL = "http://"+metricsAddr+"/metrics", "http://"+hookAddr
	if err := waitListening(hookAddr, 10*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// startManager starts a manager running every controller of the operator
// (controllers.Setup, as main does) and returns a func that stops it and
// waits until it has stopped.
func startManager(o ctrl.Options, webhookAddr string) (stop func(), err error) {
	o.Scheme = scheme
	if o.Metrics.BindAddress == "" {
		o.Metrics.BindAddress = "0"
	}
	o.HealthProbeBindAddress = "0"
	// Several managers run in one process over the test: the controllers
	// have the same names in each.
	o.Controller = config.Controller{SkipNameValidation: ptr.To(true)}
	mgr, err := ctrl.NewManager(cfg, o)
	if err != nil {
		return nil, fmt.Errorf("manager: %w", err)
	}
	opts := controllers.DefaultOptions()
	opts.ConnectionCheckInterval = 20 * time.Second
	opts.WebhookAddress = webhookAddr
	if err := controllers.Setup(mgr, opts); err != nil {
		return nil, fmt.Errorf("controllers.Setup: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(os.Stderr, "manager stopped: %v\n", err)
		}
	}()
	return func() { cancel(); <-done }, nil
}

// repoRoot walks up from the test's directory to the module root.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test directory")
		}
		dir = parent
	}
}

// freeAddr picks a free loopback port.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("picking a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitListening(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on %s after %s: %w", addr, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer safe for the manager's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
