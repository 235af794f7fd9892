package chart_test

import (
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

func configFile(t *testing.T, parts ...string) string {
	return filepath.Join(append([]string{repoRoot(t), "config"}, parts...)...)
}

// TestKustomizeManagerInStepWithChart: config/manager deploys what the chart's Cluster mode
// deploys with default values.
func TestKustomizeManagerInStepWithChart(t *testing.T) {
	var kd appsv1.Deployment
	into(t, one(t, readYAMLFile(t, configFile(t, "manager", "manager.yaml")), "Deployment"), &kd)
	hd := deployment(t, render(t, mode{name: "cluster", release: "contactsync", namespace: "contactsync-system"},
		"--set", "scope.mode=Cluster"))
	kc, hc := managerContainer(t, kd), managerContainer(t, hd)

	sorted := func(s []string) []string { s = slices.Clone(s); sort.Strings(s); return s }
	if got, want := sorted(kc.Args), sorted(hc.Args); !slices.Equal(got, want) {
		t.Errorf("config/manager args %q, chart args %q", got, want)
	}
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"pod securityContext", kd.Spec.Template.Spec.SecurityContext, hd.Spec.Template.Spec.SecurityContext},
		{"container securityContext", kc.SecurityContext, hc.SecurityContext},
		{"ports", kc.Ports, hc.Ports},
		{"liveness probe", kc.LivenessProbe, hc.LivenessProbe},
		{"readiness probe", kc.ReadinessProbe, hc.ReadinessProbe},
		{"resources", kc.Resources, hc.Resources},
		{"volume mounts", kc.VolumeMounts, hc.VolumeMounts},
		{"volumes", kd.Spec.Template.Spec.Volumes, hd.Spec.Template.Spec.Volumes},
		{"termination grace", kd.Spec.Template.Spec.TerminationGracePeriodSeconds, hd.Spec.Template.Spec.TerminationGracePeriodSeconds},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s: config/manager %+v, chart %+v", f.name, f.got, f.want)
		}
	}
	if kc.Image != "contactsync" {
		t.Errorf("config/manager image %q: keep the placeholder that config/manager/kustomization.yaml rewrites", kc.Image)
	}
}

// TestKustomizeGuardNamesTheServiceAccount: the oauth-state guard in config/default spells
// out the ServiceAccount's user name, which namespace and namePrefix make.
func TestKustomizeGuardNamesTheServiceAccount(t *testing.T) {
	kust := readYAMLFile(t, configFile(t, "default", "kustomization.yaml"))[0]
	sa := one(t, readYAMLFile(t, configFile(t, "manager", "service_account.yaml")), "ServiceAccount")
	user := "system:serviceaccount:" + str(kust, "namespace") + ":" + str(kust, "namePrefix") + sa.name()
	policy := one(t, readYAMLFile(t, configFile(t, "default", "oauth_state_guard.yaml")), "ValidatingAdmissionPolicy")
	chartPolicy := one(t, render(t, clusterMode), "ValidatingAdmissionPolicy")
	cond := str(get(policy, "spec", "matchConditions").([]any)[0], "expression")
	if !strings.Contains(cond, `"`+user+`"`) {
		t.Errorf("config/default guard matches %q, want user %s", cond, user)
	}
	if !reflect.DeepEqual(get(policy, "spec", "validations"), get(chartPolicy, "spec", "validations")) {
		t.Error("config/default guard's validations differ from the chart's")
	}
}

// TestChartCoversGeneratedRBAC: every permission controller-gen derives from the
// controllers' markers (config/rbac/role.yaml) is granted by the chart, so the chart
// cannot fall behind the code.
func TestChartCoversGeneratedRBAC(t *testing.T) {
	path := fileOrSkip(t, configFile(t, "rbac", "role.yaml"), "the lead generates it with make manifests")
	var generated []rbacv1.PolicyRule
	for _, o := range readYAMLFile(t, path) {
		var r rbacv1.ClusterRole
		into(t, o, &r)
		generated = append(generated, r.Rules...)
	}
	chart := managerRules(t, render(t, clusterMode), "ClusterRole")[""]
	leases := []rbacv1.PolicyRule{{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"},
		Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}}}
	for _, r := range generated {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				granted := verbsOn(chart, g, res)
				if g == "coordination.k8s.io" {
					granted = verbsOn(leases, g, res)
				}
				for _, v := range r.Verbs {
					if !slices.Contains(granted, v) {
						t.Errorf("config/rbac/role.yaml grants %s on %s/%s; the chart does not", v, g, res)
					}
				}
			}
		}
	}
}
