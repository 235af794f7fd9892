package controllers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
)

// The envtest suite runs a real kube-apiserver and etcd (built by
// hack/build-tools.sh into bin/; `make test` points KUBEBUILDER_ASSETS at
// them) with the CRDs of config/crd and a real manager running every
// controller.
var (
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8s       client.Client
	scheme    = runtime.NewScheme()
	envReason string // why the suite is skipped, when it is
	nsCounter atomic.Int64
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(true), zap.Level(zapLevel())))
	_ = clientgoscheme.AddToScheme(scheme)
	_ = csv1.AddToScheme(scheme)
	registerFakeProviders()

	root, _ := filepath.Abs("..")
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		if _, err := os.Stat(filepath.Join(root, "bin", "kube-apiserver")); err == nil {
			assets = filepath.Join(root, "bin")
		}
	}
	if assets == "" {
		envReason = "no kube-apiserver: run `make test` (it builds bin/kube-apiserver and bin/etcd) or set KUBEBUILDER_ASSETS"
		return m.Run()
	}
	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	var err error
	if cfg, err = testEnv.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "starting envtest: %v\n", err)
		return 1
	}
	defer func() { _ = testEnv.Stop() }()
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintf(os.Stderr, "client: %v\n", err)
		return 1
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "manager: %v\n", err)
		return 1
	}
	opts := DefaultOptions()
	opts.ConnectionCheckInterval = time.Minute
	opts.WebhookAddress = "127.0.0.1:0"
	if err := Setup(mgr, opts); err != nil {
		fmt.Fprintf(os.Stderr, "setup: %v\n", err)
		return 1
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "manager stopped: %v\n", err)
		}
	}()
	return m.Run()
}

func zapLevel() zapcore.Level {
	if os.Getenv("TEST_VERBOSE") != "" {
		return -2
	}
	return 2 // errors only: keep CI output readable
}

// needEnv skips a test that needs the API server when none is available.
func needEnv(t *testing.T) *WithT {
	t.Helper()
	if testEnv == nil {
		t.Skip(envReason)
	}
	return NewWithT(t)
}

// newNamespace creates a namespace of its own for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("t%d-%d", time.Now().UnixNano()%100000, nsCounter.Add(1))}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	return ns.Name
}

// condition returns the condition of type typ of obj, or nil.
func condition(obj conditioned, typ string) *metav1.Condition {
	return meta.FindStatusCondition(obj.GetConditions(), typ)
}

// assertKstatus checks the kstatus conventions on a settled object: status
// observed the current generation, every condition too, and Reconciling
// and Stalled appear only while true.
func assertKstatus(g *WithT, obj conditioned, observedGeneration int64) {
	g.Expect(observedGeneration).To(Equal(obj.GetGeneration()), "status.observedGeneration")
	for _, c := range obj.GetConditions() {
		g.Expect(c.ObservedGeneration).To(Equal(obj.GetGeneration()), "condition %s observedGeneration", c.Type)
		if c.Type == csv1.ConditionReconciling || c.Type == csv1.ConditionStalled {
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "%s is present only while true", c.Type)
		}
		g.Expect(c.Reason).NotTo(BeEmpty())
	}
	g.Expect(meta.FindStatusCondition(obj.GetConditions(), csv1.ConditionReady)).NotTo(BeNil(), "Ready is always present")
}
