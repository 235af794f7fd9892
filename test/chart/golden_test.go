package chart_test

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden from the chart")

// TestGolden compares `helm template` for each mode with testdata/golden/<mode>.yaml.
// CRDs are left out: TestChartCRDsMatchGenerated holds them to config/crd/bases.
// Regenerate with: go test ./test/chart/ -run TestGolden -update
func TestGolden(t *testing.T) {
	for _, m := range []mode{namespacedMode, clusterMode} {
		t.Run(m.name, func(t *testing.T) {
			out, err := helm(t, templateArgs(t, m)...)
			if err != nil {
				t.Fatal(err)
			}
			got := withoutCRDs(t, out)
			path := filepath.Join("testdata", "golden", m.name+".yaml")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (create it with -update)", err)
			}
			if got != string(want) {
				t.Errorf("helm template for %s differs from %s (run with -update if the change is intended):\n%s",
					m.name, path, firstDifference(string(want), got))
			}
		})
	}
}

// withoutCRDs drops the CustomResourceDefinition documents from a rendered stream.
func withoutCRDs(t *testing.T, stream string) string {
	t.Helper()
	var kept []string
	for _, doc := range splitDocs(stream) {
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatal(err)
		}
		if o.kind() == "CustomResourceDefinition" || strings.TrimSpace(doc) == "" {
			continue
		}
		kept = append(kept, doc)
	}
	return "---\n" + strings.Join(kept, "---\n")
}

// firstDifference shows the first differing line with a little context.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return "(no line differs)"
}
