package chart_test

import "testing"

func TestHelmLint(t *testing.T) {
	for _, m := range []mode{namespacedMode, clusterMode} {
		t.Run(m.name, func(t *testing.T) {
			args := append([]string{"lint", chartDir(t), "--strict", "--namespace", m.namespace, "--kube-version", "1.37.0"}, m.args...)
			if out, err := helm(t, args...); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
		})
	}
}
