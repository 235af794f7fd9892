package chart_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// object is one rendered Kubernetes object, decoded generically.
type object map[string]any

func (o object) kind() string { s, _ := o["kind"].(string); return s }

func (o object) name() string { return str(o, "metadata", "name") }

func (o object) namespace() string { return str(o, "metadata", "namespace") }

// get walks nested maps; it returns nil when a step is missing.
func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			if o, isObj := v.(object); isObj {
				m = o
			} else {
				return nil
			}
		}
		v = m[p]
	}
	return v
}

func str(v any, path ...string) string { s, _ := get(v, path...).(string); return s }

// repoRoot is the directory holding go.mod, found by walking up from the test's directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// helmBinary is $HELM or <repo>/bin/helm; tests skip when neither exists.
func helmBinary(t testing.TB) string {
	t.Helper()
	if h := os.Getenv("HELM"); h != "" {
		return h
	}
	h := filepath.Join(repoRoot(t), "bin", "helm")
	if _, err := os.Stat(h); err != nil {
		t.Skipf("helm not found at %s: build it with hack/build-tools.sh helm, or set HELM", h)
	}
	return h
}

func chartDir(t testing.TB) string { return filepath.Join(repoRoot(t), "charts", "contactsync") }

// helm runs the helm binary and returns its stdout; stderr is folded into the error.
func helm(t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(helmBinary(t), args...)
	// Keep helm away from the user's config, cache and cluster.
	home := t.TempDir()
	cmd.Env = append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// mode is one way of installing the chart.
type mode struct {
	name      string // golden file name
	release   string
	namespace string
	args      []string // extra helm arguments (values)
}

var (
	namespacedMode = mode{name: "namespaced", release: "contactsync", namespace: "tenant-a"}
	clusterMode    = mode{name: "cluster", release: "contactsync", namespace: "contactsync-system",
		args: []string{"--values", filepath.Join("testdata", "cluster-values.yaml")}}
)

// templateArgs is `helm template` for a mode; extra adds --set flags and the like.
func templateArgs(t testing.TB, m mode, extra ...string) []string {
	args := []string{"template", m.release, chartDir(t), "--namespace", m.namespace, "--kube-version", "1.37.0"}
	args = append(args, m.args...)
	return append(args, extra...)
}

// render runs `helm template` and decodes every document.
func render(t testing.TB, m mode, extra ...string) []object {
	t.Helper()
	out, err := helm(t, templateArgs(t, m, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	return decodeAll(t, out)
}

// decodeAll splits a multi-document YAML stream and decodes each non-empty document.
func decodeAll(t testing.TB, stream string) []object {
	t.Helper()
	var objs []object
	for i, doc := range splitDocs(stream) {
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, doc)
		}
		if len(o) > 0 {
			objs = append(objs, o)
		}
	}
	return objs
}

// splitDocs splits on YAML document separators ("---" lines).
func splitDocs(stream string) []string {
	var docs []string
	var cur strings.Builder
	for _, line := range strings.SplitAfter(stream, "\n") {
		if strings.TrimRight(line, "\r\n") == "---" {
			docs = append(docs, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	return append(docs, cur.String())
}

// find returns the objects of a kind.
func find(objs []object, kind string) []object {
	var out []object
	for _, o := range objs {
		if o.kind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// one returns the single object of a kind, failing otherwise.
func one(t testing.TB, objs []object, kind string) object {
	t.Helper()
	found := find(objs, kind)
	if len(found) != 1 {
		t.Fatalf("want 1 %s, got %d", kind, len(found))
	}
	return found[0]
}

// readYAMLFile decodes every document of a file.
func readYAMLFile(t testing.TB, path string) []object {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeAll(t, string(b))
}

// into converts a generic object into a typed one through JSON.
func into(t testing.TB, o any, typed any) {
	t.Helper()
	b, err := yaml.Marshal(o)
	if err == nil {
		err = yaml.UnmarshalStrict(b, typed)
	}
	if err != nil {
		t.Fatalf("decode %T: %v", typed, err)
	}
}

// fileOrSkip returns the path if it exists and skips the test otherwise.
func fileOrSkip(t testing.TB, path, why string) string {
	t.Helper()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s does not exist yet: %s", path, why)
	}
	return path
}
