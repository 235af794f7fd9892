package sandboxserver

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	_ "github.com/contactsync/contactsync/connectors/constantcontact"
	_ "github.com/contactsync/contactsync/connectors/flipcause"
	_ "github.com/contactsync/contactsync/connectors/kibo"
	_ "github.com/contactsync/contactsync/connectors/magento"
	_ "github.com/contactsync/contactsync/connectors/mailchimp"
	_ "github.com/contactsync/contactsync/connectors/quickbooks"
)

// newTestSandbox is a small sandbox: enough people for every code path.
func newTestSandbox(t *testing.T, o Options) *Sandbox {
	t.Helper()
	if o.Customers == 0 {
		o.Customers = 60
	}
	sb, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

// decodeDocs splits a multi-document YAML into objects.
func decodeDocs(t *testing.T, r io.Reader) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(r, 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatal(err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

func key(kind, name string) string { return kind + "/" + name }

// The sandbox's objects are the samples' objects, pointed at the sandbox:
// same names, same provider blocks and sync settings, and Secrets with at
// least the sample's keys. A change to config/samples that is not made here
// too fails this test.
func TestObjectsMirrorSamples(t *testing.T) {
	sb := newTestSandbox(t, Options{})
	mine := map[string]client.Object{}
	for _, o := range sb.Objects("http://127.0.0.1:8900") {
		mine[key(o.GetObjectKind().GroupVersionKind().Kind, o.GetName())] = o
	}
	files, err := filepath.Glob("../../config/samples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples in ../../config/samples: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range decodeDocs(t, bytes.NewReader(raw)) {
			k := key(u.GetKind(), u.GetName())
			seen[k] = true
			t.Run(filepath.Base(f)+"/"+k, func(t *testing.T) {
				got, ok := mine[k]
				if !ok {
					t.Fatalf("the sandbox has no %s", k)
				}
				doc, err := yaml.Marshal(u.Object)
				if err != nil {
					t.Fatal(err)
				}
				compareWithSample(t, got, doc)
			})
		}
	}
	for k := range mine {
		if !seen[k] && !strings.HasPrefix(k, "Namespace/") {
			t.Errorf("the sandbox has %s, which no sample has", k)
		}
	}
}

func compareWithSample(t *testing.T, got client.Object, sample []byte) {
	t.Helper()
	switch got := got.(type) {
	case *corev1.Secret:
		var want corev1.Secret
		if err := yaml.UnmarshalStrict(sample, &want); err != nil {
			t.Fatal(err)
		}
		for k := range want.StringData {
			if _, ok := got.StringData[k]; !ok {
				t.Errorf("Secret %s lacks the sample's key %q (has %v)", got.Name, k, sortedKeys(got.StringData))
			}
		}
	case *csv1.SourceConnection:
		var want csv1.SourceConnection
		if err := yaml.UnmarshalStrict(sample, &want); err != nil {
			t.Fatal(err)
		}
		spec := got.Spec
		spec.Endpoint = ""
		if !reflect.DeepEqual(spec, want.Spec) {
			t.Errorf("spec differs from the sample:\n got %+v\nwant %+v", spec, want.Spec)
		}
	case *csv1.ListTarget:
		var want csv1.ListTarget
		if err := yaml.UnmarshalStrict(sample, &want); err != nil {
			t.Fatal(err)
		}
		spec := got.Spec
		spec.Endpoint = ""
		if !reflect.DeepEqual(spec, want.Spec) {
			t.Errorf("spec differs from the sample:\n got %+v\nwant %+v", spec, want.Spec)
		}
	case *csv1.ContactSync:
		var want csv1.ContactSync
		if err := yaml.UnmarshalStrict(sample, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Spec, want.Spec) {
			t.Errorf("spec differs from the sample:\n got %+v\nwant %+v", got.Spec, want.Spec)
		}
	default:
		t.Fatalf("unexpected object %T", got)
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The YAML holds every object, in the sandbox's namespace, with endpoints
// under the base URL, credentials the providers accept, and no status.
func TestManifestsYAML(t *testing.T) {
	sb := newTestSandbox(t, Options{Namespace: "demo-x"})
	base := "http://127.0.0.1:18900/"
	y, err := sb.Manifests(base)
	if err != nil {
		t.Fatal(err)
	}
	docs := decodeDocs(t, bytes.NewReader(y))
	if want := 1 + 5*5; len(docs) != want {
		t.Fatalf("%d documents, want %d", len(docs), want)
	}
	kinds := map[string]int{}
	for _, u := range docs {
		kinds[u.GetKind()]++
		if _, has := u.Object["status"]; has {
			t.Errorf("%s %s has a status", u.GetKind(), u.GetName())
		}
		if u.GetKind() == "Namespace" {
			if u.GetName() != "demo-x" {
				t.Errorf("namespace %q, want demo-x", u.GetName())
			}
			continue
		}
		if u.GetNamespace() != "demo-x" {
			t.Errorf("%s %s is in namespace %q, want demo-x", u.GetKind(), u.GetName(), u.GetNamespace())
		}
		if u.GetLabels()[PartOfLabel] != partOf {
			t.Errorf("%s %s lacks the label %s=%s", u.GetKind(), u.GetName(), PartOfLabel, partOf)
		}
		ep, _, _ := unstructured.NestedString(u.Object, "spec", "endpoint")
		switch u.GetKind() {
		case "SourceConnection", "ListTarget":
			if _, push, _ := unstructured.NestedMap(u.Object, "spec", "flipcause"); push {
				if ep != "" {
					t.Errorf("push-only %s has endpoint %q", u.GetName(), ep)
				}
			} else if !strings.HasPrefix(ep, "http://127.0.0.1:18900/") || strings.Contains(ep, "//"+"/") {
				t.Errorf("%s %s has endpoint %q, want one under the base URL", u.GetKind(), u.GetName(), ep)
			}
		}
	}
	want := map[string]int{"Namespace": 1, "Secret": 10, "SourceConnection": 5, "ListTarget": 5, "ContactSync": 5}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("kinds %v, want %v", kinds, want)
	}
	for _, in := range sb.Integrations() {
		src, _ := connectors.SourceFor(in.Source.Provider)
		if missing := src.Keys.Missing(in.Source.Credentials); missing != nil {
			t.Errorf("%s: the %s Secret lacks %v", in.Name, in.Source.Provider, missing)
		}
		dst, _ := connectors.TargetFor(in.Target.Provider)
		if missing := dst.Keys.Missing(in.Target.Credentials); missing != nil {
			t.Errorf("%s: the %s Secret lacks %v", in.Name, in.Target.Provider, missing)
		}
	}
}

// The same options give the same manifests: credentials are drawn once.
func TestManifestsStable(t *testing.T) {
	sb := newTestSandbox(t, Options{})
	a, err := sb.Manifests("http://127.0.0.1:8900")
	if err != nil {
		t.Fatal(err)
	}
	b, err := sb.Manifests("http://127.0.0.1:8900")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two renderings of one sandbox differ")
	}
}
