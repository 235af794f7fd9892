package e2e_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors/constantcontact/constantcontacttest"
	"github.com/contactsync/contactsync/connectors/mailchimp/mailchimptest"
	"github.com/contactsync/contactsync/connectors/quickbooks/quickbookstest"
	"github.com/contactsync/contactsync/internal/sandboxserver"
)

// TestDemo is `make demo` without a terminal: a local control plane, the
// sandbox, the operator binary; the sandbox's manifests applied; every
// connection Ready; the first successful runs of the QuickBooks → Constant
// Contact and QuickBooks → Mailchimp syncs, with their contacts in the
// target emulators and the contacts who had unsubscribed there left alone;
// then SIGTERM, and the operator exits cleanly.
func TestDemo(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("KUBEBUILDER_ASSETS is unset: run `make test`, which builds bin/etcd and bin/kube-apiserver and points it at them")
	}
	g := NewWithT(t)
	root := repoRoot(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Build first: on a cold cache it is the slow part, and nothing waits on it yet.
	bin := buildOperator(t, root, dir)

	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	if _, err := env.Start(); err != nil {
		t.Fatalf("start the local control plane: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stop the local control plane: %v", err)
		}
	})
	admin, err := env.AddUser(envtest.User{Name: "demo", Groups: []string{"system:masters"}}, nil)
	g.Expect(err).NotTo(HaveOccurred())
	kubeconfigData, err := admin.KubeConfig()
	g.Expect(err).NotTo(HaveOccurred())
	kubeconfig := filepath.Join(dir, "kubeconfig")
	g.Expect(os.WriteFile(kubeconfig, kubeconfigData, 0o600)).To(Succeed())
	scheme := runtime.NewScheme()
	g.Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	g.Expect(csv1.AddToScheme(scheme)).To(Succeed())
	k8s, err := client.New(admin.Config(), client.Options{Scheme: scheme})
	g.Expect(err).NotTo(HaveOccurred())

	webhookAddr := freeAddr(t)
	sb, err := sandboxserver.New(sandboxserver.Options{Customers: 80, WebhookURL: "http://" + webhookAddr})
	g.Expect(err).NotTo(HaveOccurred())
	ln, err := sandboxserver.Listen("127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	served := make(chan error, 1)
	go func() { served <- sb.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("sandbox: %v", err)
		}
	})
	base := "http://" + ln.Addr().String()

	op := startOperator(t, bin, dir, kubeconfig, webhookAddr)

	manifests, err := sb.Manifests(base)
	g.Expect(err).NotTo(HaveOccurred())
	for _, obj := range decode(t, manifests) {
		g.Expect(k8s.Create(ctx, obj)).To(Succeed(), "create %s %s", obj.GetKind(), obj.GetName())
	}
	ns := sb.Options().Namespace

	alive := func(g Gomega) {
		gone, err := op.exited()
		g.Expect(gone).To(BeFalse(), "the operator exited: %v", err)
	}
	t.Log("waiting for every SourceConnection and ListTarget to be Ready")
	g.Eventually(func(g Gomega) {
		alive(g)
		var scs csv1.SourceConnectionList
		g.Expect(k8s.List(ctx, &scs, client.InNamespace(ns))).To(Succeed())
		g.Expect(scs.Items).To(HaveLen(5))
		for _, sc := range scs.Items {
			g.Expect(meta.IsStatusConditionTrue(sc.Status.Conditions, csv1.ConditionReady)).To(BeTrue(),
				"SourceConnection %s: %v", sc.Name, sc.Status.Conditions)
		}
		var lts csv1.ListTargetList
		g.Expect(k8s.List(ctx, &lts, client.InNamespace(ns))).To(Succeed())
		g.Expect(lts.Items).To(HaveLen(5))
		for _, lt := range lts.Items {
			g.Expect(meta.IsStatusConditionTrue(lt.Status.Conditions, csv1.ConditionReady)).To(BeTrue(),
				"ListTarget %s: %v", lt.Name, lt.Status.Conditions)
		}
	}).WithTimeout(45 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())

	for _, tc := range []struct {
		integration string
		check       func(t *testing.T, in *sandboxserver.Integration, lt *csv1.ListTarget, run *csv1.RunStatus)
	}{
		{"harbor-bikes", checkConstantContact},
		{"lakeside-dental", checkMailchimp},
	} {
		in := sb.Integration(tc.integration)
		t.Logf("waiting for the first successful run of ContactSync %s", in.ContactSync)
		var cs csv1.ContactSync
		g.Eventually(func(g Gomega) {
			alive(g)
			g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: in.ContactSync}, &cs)).To(Succeed())
			g.Expect(cs.Status.LastSuccessfulSyncTime).NotTo(BeNil(), "ContactSync %s: %v", cs.Name, cs.Status.Conditions)
			g.Expect(cs.Status.LastRun).NotTo(BeNil())
			g.Expect(cs.Status.LastRun.Result).To(BeElementOf(csv1.RunResult("Succeeded"), csv1.RunResult("PartialSuccess")))
		}).WithTimeout(60 * time.Second).WithPolling(time.Second).Should(Succeed())
		var lt csv1.ListTarget
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: in.ListTarget}, &lt)).To(Succeed())
		t.Run(tc.integration, func(t *testing.T) { tc.check(t, in, &lt, cs.Status.LastRun) })
	}

	t.Log("stopping the operator")
	g.Expect(op.stop(30*time.Second)).To(Succeed(), "the operator's exit after SIGTERM")
}

// checkConstantContact: the run's new contacts are in the list, each a
// customer of the QuickBooks company, and the contacts who had unsubscribed
// are still unsubscribed.
func checkConstantContact(t *testing.T, in *sandboxserver.Integration, lt *csv1.ListTarget, run *csv1.RunStatus) {
	g := NewWithT(t)
	cc := in.Target.Impl.(*constantcontacttest.Emulator)
	customers := customerEmails(in)
	g.Expect(in.Target.Unsubscribed).NotTo(BeEmpty(), "the sandbox seeded no unsubscribed contact")
	for _, email := range in.Target.Unsubscribed {
		c, ok := cc.Contact(email)
		g.Expect(ok).To(BeTrue(), "unsubscribed contact %s is gone", email)
		g.Expect(c.Permission).To(Equal(constantcontacttest.PermUnsubscribe), "contact %s had unsubscribed", email)
		g.Expect(c.Lists).NotTo(ContainElement(lt.Spec.ConstantContact.List), "unsubscribed %s was added to the list", email)
	}
	inList := 0
	for _, c := range cc.Contacts() {
		if c.Permission == constantcontacttest.PermUnsubscribe {
			continue
		}
		g.Expect(customers).To(HaveKey(strings.ToLower(c.Email)), "contact %s is no QuickBooks customer", c.Email)
		if len(c.Lists) > 0 {
			g.Expect(c.Lists).To(ContainElement(lt.Spec.ConstantContact.List), "contact %s", c.Email)
			inList++
		}
	}
	g.Expect(run.Created).To(BeNumerically(">", 0), "the first run created no contact")
	g.Expect(inList).To(BeNumerically(">=", run.Created), "contacts in %q", lt.Spec.ConstantContact.List)
}

// checkMailchimp: the run's new members are in the audience, tagged, each a
// customer of the QuickBooks company, and the members who had unsubscribed
// are still unsubscribed.
func checkMailchimp(t *testing.T, in *sandboxserver.Integration, lt *csv1.ListTarget, run *csv1.RunStatus) {
	g := NewWithT(t)
	g.Expect(lt.Status.List).NotTo(BeNil(), "ListTarget %s has no status.list", lt.Name)
	mc := in.Target.Impl.(*mailchimptest.Emulator)
	customers := customerEmails(in)
	g.Expect(in.Target.Unsubscribed).NotTo(BeEmpty(), "the sandbox seeded no unsubscribed member")
	for _, email := range in.Target.Unsubscribed {
		m, ok := mc.Member(lt.Status.List.ID, email)
		g.Expect(ok).To(BeTrue(), "unsubscribed member %s is gone", email)
		g.Expect(m.Status).To(Equal(mailchimptest.StatusUnsubscribed), "member %s had unsubscribed", email)
	}
	synced := 0
	for _, m := range mc.Members(lt.Status.List.ID) {
		g.Expect(customers).To(HaveKey(strings.ToLower(m.Email)), "member %s is no QuickBooks customer", m.Email)
		if m.Status == mailchimptest.StatusUnsubscribed {
			continue
		}
		g.Expect(m.Tags).To(ContainElement("QuickBooks Online"), "member %s", m.Email)
		synced++
	}
	g.Expect(run.Created).To(BeNumerically(">", 0), "the first run created no member")
	g.Expect(synced).To(BeNumerically(">=", run.Created))
}

// customerEmails are the lower-cased emails of the QuickBooks source. One
// email field may hold several addresses ("a@x.com, b@y.com"), as
// QuickBooks users type them.
func customerEmails(in *sandboxserver.Integration) map[string]bool {
	out := map[string]bool{}
	for _, c := range in.Source.Impl.(*quickbookstest.Emulator).Customers() {
		if c.PrimaryEmailAddr == nil {
			continue
		}
		for _, a := range strings.FieldsFunc(c.PrimaryEmailAddr.Address, func(r rune) bool { return r == ',' || r == ';' }) {
			out[strings.ToLower(strings.TrimSpace(a))] = true
		}
	}
	return out
}

// decode splits the multi-document manifests into objects.
func decode(t *testing.T, manifests []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifests), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("decode the manifests: %v", err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}
