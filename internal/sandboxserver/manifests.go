package sandboxserver

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
)

// PartOfLabel marks every object of the manifests, so that
// `kubectl get ... -l app.kubernetes.io/part-of=contactsync-sandbox` finds them.
const PartOfLabel = "app.kubernetes.io/part-of"

const partOf = "contactsync-sandbox"

// Objects are the namespace, Secrets, SourceConnections, ListTargets and
// ContactSyncs that sync the five seed integrations from the sandbox
// served at base ("http://127.0.0.1:8900").
func (s *Sandbox) Objects(base string) []client.Object {
	base = strings.TrimRight(base, "/")
	ns := s.opts.Namespace
	out := []client.Object{&corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{PartOfLabel: partOf}},
	}}
	for _, in := range s.integrations {
		out = append(out, in.objects(ns, base)...)
	}
	return out
}

func (in *Integration) objects(ns, base string) []client.Object {
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{PartOfLabel: partOf}}
	}
	sc := &csv1.SourceConnection{
		TypeMeta:   metav1.TypeMeta{APIVersion: csv1.GroupVersion.String(), Kind: "SourceConnection"},
		ObjectMeta: meta(in.SourceConnection), Spec: *in.sourceSpec.DeepCopy(),
	}
	sc.Spec.CredentialsRef = csv1.LocalObjectReference{Name: in.SourceSecret}
	if !in.PushOnly {
		sc.Spec.Endpoint = base + in.Source.Path()
	}
	lt := &csv1.ListTarget{
		TypeMeta:   metav1.TypeMeta{APIVersion: csv1.GroupVersion.String(), Kind: "ListTarget"},
		ObjectMeta: meta(in.ListTarget), Spec: *in.targetSpec.DeepCopy(),
	}
	lt.Spec.CredentialsRef = csv1.LocalObjectReference{Name: in.TargetSecret}
	lt.Spec.Endpoint = base + in.Target.Path()
	cs := &csv1.ContactSync{
		TypeMeta:   metav1.TypeMeta{APIVersion: csv1.GroupVersion.String(), Kind: "ContactSync"},
		ObjectMeta: meta(in.ContactSync), Spec: *in.syncSpec.DeepCopy(),
	}
	cs.Spec.SourceRef = csv1.LocalObjectReference{Name: in.SourceConnection}
	cs.Spec.TargetRef = csv1.LocalObjectReference{Name: in.ListTarget}
	return []client.Object{
		secret(meta(in.SourceSecret), in.Source.Credentials),
		secret(meta(in.TargetSecret), in.Target.Credentials),
		sc, lt, cs,
	}
}

func secret(meta metav1.ObjectMeta, data map[string][]byte) *corev1.Secret {
	s := &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: meta,
		Type: corev1.SecretTypeOpaque, StringData: map[string]string{}}
	for k, v := range data {
		s.StringData[k] = string(v)
	}
	return s
}

// Manifests renders Objects as a multi-document YAML for kubectl apply.
func (s *Sandbox) Manifests(base string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# ContactSync sandbox: the five seed integrations of config/samples, pointed at the\n"+
		"# emulators served by `contactsync sandbox` at %s. The credentials are the\n"+
		"# emulators' own; they are valid only while that sandbox runs.\n", strings.TrimRight(base, "/"))
	for i, obj := range s.Objects(base) {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, fmt.Errorf("sandbox manifests: %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
		}
		// Status belongs to the operator, and a null creationTimestamp is noise.
		delete(m, "status")
		if md, ok := m["metadata"].(map[string]any); ok {
			delete(md, "creationTimestamp")
		}
		y, err := yaml.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("sandbox manifests: %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

// WriteEndpoints prints where each emulator is served and what uses it.
func (s *Sandbox) WriteEndpoints(w io.Writer, base string) {
	base = strings.TrimRight(base, "/")
	for _, in := range s.integrations {
		fmt.Fprintf(w, "%-20s %-16s %s  (SourceConnection %s)\n", in.Name, in.Source.Provider, base+in.Source.Path(), in.SourceConnection)
		fmt.Fprintf(w, "%-20s %-16s %s  (ListTarget %s)\n", "", in.Target.Provider, base+in.Target.Path(), in.ListTarget)
	}
	fmt.Fprintf(w, "\nAdmin endpoints of every emulator, under <emulator URL>/_sandbox/:\n"+
		"  GET state, GET requests, GET|PUT faults ({\"latency\":\"100ms\",\"rateLimitShare\":0.2,\"serverErrorShare\":0.1,\"failNext\":3}), POST reset\n")
	if s.opts.WebhookURL != "" {
		fmt.Fprintf(w, "Webhooks (QuickBooks changes, Flipcause donors) go to %s/webhooks/.\n", s.opts.WebhookURL)
	} else {
		fmt.Fprintln(w, "Webhooks are off, so Flipcause donors stay queued: --webhook-url http://127.0.0.1:9292 delivers them to the operator.")
	}
}
