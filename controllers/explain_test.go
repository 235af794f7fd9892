package controllers

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

// Every field of every kind is documented, so `kubectl explain` teaches the
// API: walk the generated CRDs and require a description on each property.
func TestCRDFieldsAreDocumented(t *testing.T) {
	g := NewWithT(t)
	files, err := filepath.Glob("../config/crd/bases/*.yaml")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(HaveLen(3))
	for _, f := range files {
		b, err := os.ReadFile(f)
		g.Expect(err).NotTo(HaveOccurred())
		var crd apiextv1.CustomResourceDefinition
		g.Expect(yaml.Unmarshal(b, &crd)).To(Succeed())
		for _, v := range crd.Spec.Versions {
			var missing []string
			walkSchema(v.Schema.OpenAPIV3Schema, crd.Spec.Names.Kind, &missing)
			g.Expect(missing).To(BeEmpty(), "fields without a description in %s", f)
		}
	}
}

func walkSchema(s *apiextv1.JSONSchemaProps, path string, missing *[]string) {
	for name, p := range s.Properties {
		child := path + "." + name
		if p.Description == "" && name != "apiVersion" && name != "kind" && name != "metadata" {
			*missing = append(*missing, child)
		}
		walkSchema(&p, child, missing)
	}
	if s.Items != nil && s.Items.Schema != nil {
		walkSchema(s.Items.Schema, path+"[]", missing)
	}
}

// kubectl explain against the real API server documents the spec.
func TestKubectlExplain(t *testing.T) {
	g := needEnv(t)
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed")
	}
	user, err := testEnv.ControlPlane.AddUser(envtest.User{Name: "explain", Groups: []string{"system:masters"}}, nil)
	g.Expect(err).NotTo(HaveOccurred())
	kubeconfig, err := user.KubeConfig()
	g.Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(t.TempDir(), "kubeconfig")
	g.Expect(os.WriteFile(path, kubeconfig, 0o600)).To(Succeed())

	explain := func(args ...string) (string, error) {
		out, err := exec.CommandContext(context.Background(), kubectl,
			append([]string{"--kubeconfig", path, "explain"}, args...)...).CombinedOutput()
		return string(out), err
	}
	// The API server publishes a new CRD's OpenAPI a moment after it is established.
	var out string
	g.Eventually(func() error {
		out, err = explain("contactsync.spec", "--recursive")
		return err
	}, settle, 500*time.Millisecond).Should(Succeed(), func() string { return out })
	for _, field := range []string{"sourceRef", "targetRef", "interval", "fullSyncInterval", "suspend", "initialSync",
		"contacts", "newContactPermission", "splitLists", "newSubscribers", "updateExisting", "tags", "fieldMappings",
		"segments", "preset", "when", "maxContacts", "unsubscribeSync", "dryRun", "timeout"} {
		g.Expect(out).To(ContainSubstring(field))
	}
	out, err = explain("contactsync.spec.newContactPermission")
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(strings.Contains(out, "consent")).To(BeTrue(), out)
}
