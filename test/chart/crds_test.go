package chart_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestChartCRDsMatchGenerated fails when the chart's CRDs drift from config/crd/bases
// (fix: hack/sync-chart-crds.sh), and checks that the rendered CRDs are those files with
// only the chart's labels and the keep annotation added.
func TestChartCRDsMatchGenerated(t *testing.T) {
	root := repoRoot(t)
	bases, err := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(bases) == 0 {
		t.Fatalf("no generated CRDs in config/crd/bases (err %v)", err)
	}
	copies, _ := filepath.Glob(filepath.Join(chartDir(t), "files", "crds", "*.yaml"))
	if len(copies) != len(bases) {
		t.Fatalf("chart has %d CRD files, config/crd/bases has %d: run hack/sync-chart-crds.sh", len(copies), len(bases))
	}
	want := map[string]object{}
	for _, base := range bases {
		a, _ := os.ReadFile(base)
		b, err := os.ReadFile(filepath.Join(chartDir(t), "files", "crds", filepath.Base(base)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("charts/contactsync/files/crds/%s differs from config/crd/bases: run hack/sync-chart-crds.sh", filepath.Base(base))
		}
		crd := readYAMLFile(t, base)[0]
		want[crd.name()] = crd
	}

	for _, tt := range []struct {
		name     string
		set      []string
		wantKeep bool
	}{
		{name: "keep", wantKeep: true},
		{name: "no keep", set: []string{"--set", "crds.keep=false"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rendered := find(render(t, namespacedMode, tt.set...), "CustomResourceDefinition")
			if len(rendered) != len(want) {
				t.Fatalf("rendered %d CRDs, want %d", len(rendered), len(want))
			}
			for _, crd := range rendered {
				base, ok := want[crd.name()]
				if !ok {
					t.Errorf("rendered CRD %s is not in config/crd/bases", crd.name())
					continue
				}
				meta := crd["metadata"].(map[string]any)
				annotations := meta["annotations"].(map[string]any)
				if got := annotations["helm.sh/resource-policy"]; (got == "keep") != tt.wantKeep {
					t.Errorf("%s: resource-policy %v, want keep=%v", crd.name(), got, tt.wantKeep)
				}
				if meta["labels"].(map[string]any)["app.kubernetes.io/part-of"] != "contactsync" {
					t.Errorf("%s lacks the chart's labels", crd.name())
				}
				delete(annotations, "helm.sh/resource-policy")
				delete(meta, "labels")
				if !reflect.DeepEqual(object(crd), base) {
					t.Errorf("rendered CRD %s differs from config/crd/bases beyond labels and the keep annotation", crd.name())
				}
			}
		})
	}
}
