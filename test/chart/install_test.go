package chart_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// TestHelmInstall installs the chart (Namespaced mode) into a local control plane and checks
// the objects, the CRDs' validation of every sample, the RBAC and oauth-state guard as the
// operator's ServiceAccount sees them, and that uninstall keeps the CRDs.
func TestHelmInstall(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("KUBEBUILDER_ASSETS is unset: run `make test`, which points it at bin/ (kube-apiserver, etcd)")
	}
	helmBin := helmBinary(t)
	env := &envtest.Environment{}
	if _, err := env.Start(); err != nil {
		t.Fatalf("start envtest: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })

	admin, err := env.AddUser(envtest.User{Name: "helm-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfigPath := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfigPath, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = apiextensionsv1.AddToScheme(scheme)
	c, err := client.New(admin.Config(), client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	const ns, other = "tenant-a", "tenant-b"
	for _, name := range []string{ns, other} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HELM", helmBin)
	if out, err := helm(t, "install", "contactsync", chartDir(t), "--namespace", ns, "--kubeconfig", kubeconfigPath); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}

	t.Run("objects", func(t *testing.T) {
		var d appsv1.Deployment
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "contactsync"}, &d); err != nil {
			t.Fatal(err)
		}
		args := d.Spec.Template.Spec.Containers[0].Args
		if !slices.Contains(args, "--watch-namespace="+ns) || !slices.Contains(args, "--leader-elect") {
			t.Errorf("deployment args %q", args)
		}
		if sc := d.Spec.Template.Spec.Containers[0].SecurityContext; sc == nil || !*sc.ReadOnlyRootFilesystem {
			t.Error("deployment lost its read-only root filesystem")
		}
		var role rbacv1.Role
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "contactsync-manager"}, &role); err != nil {
			t.Fatal(err)
		}
		if got := verbsOn(role.Rules, "", "secrets"); !slices.Equal(got, []string{"create", "delete", "get", "list", "patch", "update", "watch"}) {
			t.Errorf("role grants %v on secrets", got)
		}
		for _, key := range []client.ObjectKey{{Namespace: ns, Name: "contactsync-metrics"}, {Namespace: ns, Name: "contactsync-webhooks"}} {
			if err := c.Get(ctx, key, &corev1.Service{}); err != nil {
				t.Errorf("service %s: %v", key, err)
			}
		}
		var crbs rbacv1.ClusterRoleBindingList
		if err := c.List(ctx, &crbs, client.MatchingLabels{"app.kubernetes.io/instance": "contactsync"}); err != nil || len(crbs.Items) > 0 {
			t.Errorf("namespaced install made %d ClusterRoleBindings (err %v)", len(crbs.Items), err)
		}
	})

	waitForCRDs(ctx, t, c)

	t.Run("samples pass CRD validation", func(t *testing.T) {
		dc, err := client.New(admin.Config(), client.Options{}) // fresh discovery: the CRDs are new
		if err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(repoRoot(t), "config", "samples", "*-to-*.yaml"))
		if len(files) != 5 {
			t.Fatalf("%d samples, want 5", len(files))
		}
		for _, f := range files {
			for _, o := range readYAMLFile(t, f) {
				u := &unstructured.Unstructured{Object: o}
				u.SetNamespace(ns)
				if err := dc.Create(ctx, u, client.DryRunAll); err != nil {
					t.Errorf("%s: %s %s rejected: %v", filepath.Base(f), u.GetKind(), u.GetName(), err)
				}
			}
		}
	})

	t.Run("operator's rights", func(t *testing.T) {
		sa := rest.CopyConfig(admin.Config())
		sa.Impersonate = rest.ImpersonationConfig{
			UserName: "system:serviceaccount:" + ns + ":contactsync",
			Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
		}
		op, err := client.New(sa, client.Options{Scheme: scheme})
		if err != nil {
			t.Fatal(err)
		}
		secret := func(namespace, name string) *corev1.Secret {
			return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, StringData: map[string]string{"k": "v"}}
		}
		// The admission policy becomes active a moment after it is created.
		deadline := time.Now().Add(30 * time.Second)
		for {
			err := op.Create(ctx, secret(ns, "user-credentials"))
			if apierrors.IsForbidden(err) || apierrors.IsInvalid(err) {
				if !strings.Contains(err.Error(), "oauth-state") {
					t.Errorf("denied without naming the rule: %v", err)
				}
				break
			}
			if err == nil {
				_ = c.Delete(ctx, secret(ns, "user-credentials"))
			}
			if time.Now().After(deadline) {
				t.Fatalf("the operator could create Secret user-credentials (err %v): the oauth-state guard is not enforced", err)
			}
			time.Sleep(500 * time.Millisecond)
		}
		if err := op.Create(ctx, secret(ns, "acme-books-oauth-state")); err != nil {
			t.Errorf("operator cannot create its oauth-state Secret: %v", err)
		}
		if err := op.Create(ctx, secret(other, "acme-books-oauth-state")); !apierrors.IsForbidden(err) {
			t.Errorf("operator wrote a Secret in namespace %s (err %v): RBAC must stop it", other, err)
		}
		if err := op.List(ctx, &corev1.SecretList{}); !apierrors.IsForbidden(err) {
			t.Errorf("operator listed Secrets cluster-wide (err %v)", err)
		}
		if err := op.List(ctx, &corev1.SecretList{}, client.InNamespace(ns)); err != nil {
			t.Errorf("operator cannot list Secrets in %s: %v", ns, err)
		}
		lease := &unstructured.Unstructured{}
		lease.SetAPIVersion("coordination.k8s.io/v1")
		lease.SetKind("Lease")
		lease.SetNamespace(ns)
		lease.SetName("contactsync-leader")
		if err := op.Create(ctx, lease); err != nil {
			t.Errorf("operator cannot take its leader-election Lease: %v", err)
		}
	})

	t.Run("uninstall keeps the CRDs", func(t *testing.T) {
		if out, err := helm(t, "uninstall", "contactsync", "--namespace", ns, "--kubeconfig", kubeconfigPath); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := c.Get(ctx, client.ObjectKey{Name: "contactsyncs.contactsync.io"}, &crd); err != nil {
			t.Errorf("CRD gone after uninstall: %v", err)
		}
		err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "contactsync"}, &appsv1.Deployment{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("deployment still there after uninstall (err %v)", err)
		}
	})
}

// waitForCRDs waits until the chart's CRDs are Established.
func waitForCRDs(ctx context.Context, t *testing.T, c client.Client) {
	t.Helper()
	names := []string{"contactsyncs.contactsync.io", "listtargets.contactsync.io", "sourceconnections.contactsync.io"}
	deadline := time.Now().Add(30 * time.Second)
	for _, name := range names {
		for {
			var crd apiextensionsv1.CustomResourceDefinition
			err := c.Get(ctx, client.ObjectKey{Name: name}, &crd)
			if err == nil && established(crd) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("CRD %s not established (err %v)", name, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func established(crd apiextensionsv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
			return true
		}
	}
	return false
}
