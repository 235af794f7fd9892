package chart_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

func deployment(t *testing.T, objs []object) appsv1.Deployment {
	t.Helper()
	var d appsv1.Deployment
	into(t, one(t, objs, "Deployment"), &d)
	return d
}

func managerContainer(t *testing.T, d appsv1.Deployment) corev1.Container {
	t.Helper()
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "manager" {
			return c
		}
	}
	t.Fatalf("deployment %s has no manager container", d.Name)
	return corev1.Container{}
}

// rulesOf returns the rules of every Role or ClusterRole that is not the leader-election one.
func managerRules(t *testing.T, objs []object, kind string) map[string][]rbacv1.PolicyRule {
	t.Helper()
	out := map[string][]rbacv1.PolicyRule{}
	for _, o := range find(objs, kind) {
		if strings.HasSuffix(o.name(), "-leader-election") {
			continue
		}
		var r rbacv1.Role
		into(t, o, &r)
		out[o.namespace()] = r.Rules
	}
	return out
}

// verbsOn collects the verbs the rules grant on group/resource.
func verbsOn(rules []rbacv1.PolicyRule, group, resource string) []string {
	var verbs []string
	for _, r := range rules {
		if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) {
			verbs = append(verbs, r.Verbs...)
		}
	}
	sort.Strings(verbs)
	return slices.Compact(verbs)
}

func TestSecurityContextIsRestricted(t *testing.T) {
	for _, m := range []mode{namespacedMode, clusterMode} {
		t.Run(m.name, func(t *testing.T) {
			d := deployment(t, render(t, m))
			pod := d.Spec.Template.Spec.SecurityContext
			if pod == nil || pod.RunAsNonRoot == nil || !*pod.RunAsNonRoot {
				t.Error("pod securityContext.runAsNonRoot is not true")
			}
			if pod == nil || pod.SeccompProfile == nil || pod.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Error("pod seccompProfile is not RuntimeDefault")
			}
			c := managerContainer(t, d)
			sc := c.SecurityContext
			switch {
			case sc == nil:
				t.Fatal("manager has no securityContext")
			case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
				t.Error("readOnlyRootFilesystem is not true")
			case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
				t.Error("allowPrivilegeEscalation is not false")
			case sc.Privileged != nil && *sc.Privileged:
				t.Error("privileged")
			case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
				t.Errorf("capabilities = %+v, want drop ALL and add none", sc.Capabilities)
			}
			if c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
				t.Errorf("resources = %+v, want a memory limit and a cpu request", c.Resources)
			}
			for probe, want := range map[*corev1.Probe]string{c.LivenessProbe: "/healthz", c.ReadinessProbe: "/readyz"} {
				if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != want || probe.HTTPGet.Port.StrVal != "health" {
					t.Errorf("probe %s missing or wrong: %+v", want, probe)
				}
			}
		})
	}
}

func TestManagerArgs(t *testing.T) {
	tests := []struct {
		name    string
		mode    mode
		set     []string
		want    []string
		notWant []string
	}{
		{name: "namespaced watches the release namespace", mode: namespacedMode,
			want: []string{"--watch-namespace=tenant-a", "--leader-elect", "--metrics-bind-address=:8080",
				"--health-probe-bind-address=:8081", "--webhook-bind-address=:9292", "--concurrent=4", "--interval-jitter-percentage=10"}},
		{name: "namespaced with a namespace list", mode: namespacedMode, set: []string{"--set", "scope.namespaces={shop,books}"},
			want: []string{"--watch-namespace=shop", "--watch-namespace=books"}, notWant: []string{"--watch-namespace=tenant-a"}},
		{name: "cluster watches everything", mode: clusterMode,
			want: []string{"--leader-elect"}, notWant: []string{"--watch-namespace"}},
		{name: "shard and tuning", mode: clusterMode,
			set:  []string{"--set", "controller.watchLabelSelector=shard=b", "--set", "controller.concurrent=8", "--set", "leaderElection.enabled=false"},
			want: []string{"--watch-label-selector=shard=b", "--concurrent=8"}, notWant: []string{"--leader-elect"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := managerContainer(t, deployment(t, render(t, tt.mode, tt.set...))).Args
			for _, w := range tt.want {
				if !slices.Contains(args, w) {
					t.Errorf("args %q lack %q", args, w)
				}
			}
			for _, nw := range tt.notWant {
				for _, a := range args {
					if strings.HasPrefix(a, nw) {
						t.Errorf("args %q contain %q", args, a)
					}
				}
			}
		})
	}
}

func TestRBAC(t *testing.T) {
	wantVerbs := map[[2]string][]string{
		{"contactsync.io", "contactsyncs"}:                    {"get", "list", "patch", "update", "watch"},
		{"contactsync.io", "sourceconnections"}:               {"get", "list", "patch", "update", "watch"},
		{"contactsync.io", "listtargets"}:                     {"get", "list", "patch", "update", "watch"},
		{"contactsync.io", "contactsyncs/status"}:             {"get", "patch", "update"},
		{"contactsync.io", "listtargets/status"}:              {"get", "patch", "update"},
		{"", "secrets"}:                                       {"create", "delete", "get", "list", "patch", "update", "watch"},
		{"", "events"}:                                        {"create", "patch"},
		{"events.k8s.io", "events"}:                           {"create", "patch"},
		{"", "configmaps"}:                                    nil,
		{"coordination.k8s.io", "leases"}:                     nil, // only in the leader-election Role
		{"apiextensions.k8s.io", "customresourcedefinitions"}: nil,
	}
	tests := []struct {
		name           string
		mode           mode
		set            []string
		kind           string
		wantNamespaces []string
	}{
		{name: "namespaced", mode: namespacedMode, kind: "Role", wantNamespaces: []string{"tenant-a"}},
		{name: "namespaced list", mode: namespacedMode, set: []string{"--set", "scope.namespaces={shop,books}"}, kind: "Role", wantNamespaces: []string{"books", "shop"}},
		{name: "cluster", mode: clusterMode, kind: "ClusterRole", wantNamespaces: []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := render(t, tt.mode, tt.set...)
			if tt.kind == "Role" {
				for _, k := range []string{"ClusterRole", "ClusterRoleBinding"} {
					if n := len(find(objs, k)); n != 0 {
						t.Errorf("namespaced mode renders %d %s", n, k)
					}
				}
			}
			byNS := managerRules(t, objs, tt.kind)
			var namespaces []string
			for ns, rules := range byNS {
				namespaces = append(namespaces, ns)
				for _, r := range rules {
					for _, field := range [][]string{r.Verbs, r.Resources, r.APIGroups} {
						if slices.Contains(field, "*") {
							t.Errorf("%s in %q has a wildcard rule %+v", tt.kind, ns, r)
						}
					}
				}
				for gr, want := range wantVerbs {
					if got := verbsOn(rules, gr[0], gr[1]); !slices.Equal(got, want) {
						t.Errorf("%s in %q grants %v on %s/%s, want %v", tt.kind, ns, got, gr[0], gr[1], want)
					}
				}
			}
			sort.Strings(namespaces)
			if !slices.Equal(namespaces, tt.wantNamespaces) {
				t.Errorf("manager %ss in %q, want %q", tt.kind, namespaces, tt.wantNamespaces)
			}
			// Every manager role is bound to the chart's ServiceAccount, and the Lease rights sit
			// in the release namespace only.
			sa := one(t, objs, "ServiceAccount")
			bindingKind := strings.Replace(tt.kind, "Role", "RoleBinding", 1)
			for _, b := range find(objs, bindingKind) {
				var rb rbacv1.RoleBinding
				into(t, b, &rb)
				if len(rb.Subjects) != 1 || rb.Subjects[0].Name != sa.name() || rb.Subjects[0].Namespace != tt.mode.namespace {
					t.Errorf("%s %s binds %+v, want the ServiceAccount %s/%s", bindingKind, rb.Name, rb.Subjects, tt.mode.namespace, sa.name())
				}
			}
			var le rbacv1.Role
			for _, o := range find(objs, "Role") {
				if strings.HasSuffix(o.name(), "-leader-election") {
					into(t, o, &le)
				}
			}
			if le.Namespace != tt.mode.namespace || len(verbsOn(le.Rules, "coordination.k8s.io", "leases")) == 0 {
				t.Errorf("leader-election Role %q in %q, want lease rights in %q", le.Name, le.Namespace, tt.mode.namespace)
			}
		})
	}
}

func TestOAuthStateGuard(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  []string
		want int
	}{
		{name: "on by default", want: 1},
		{name: "off", set: []string{"--set", "rbac.oauthStateGuard=false"}, want: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			objs := render(t, namespacedMode, tt.set...)
			policies := find(objs, "ValidatingAdmissionPolicy")
			bindings := find(objs, "ValidatingAdmissionPolicyBinding")
			if len(policies) != tt.want || len(bindings) != tt.want {
				t.Fatalf("got %d policies and %d bindings, want %d", len(policies), len(bindings), tt.want)
			}
			if tt.want == 0 {
				return
			}
			cond := str(get(policies[0], "spec", "matchConditions").([]any)[0], "expression")
			if !strings.Contains(cond, `"system:serviceaccount:tenant-a:`+one(t, objs, "ServiceAccount").name()+`"`) {
				t.Errorf("policy matches %q, not the chart's ServiceAccount", cond)
			}
			if got := str(bindings[0], "spec", "policyName"); got != policies[0].name() {
				t.Errorf("binding points at %q, policy is %q", got, policies[0].name())
			}
		})
	}
}

func TestOptionalObjects(t *testing.T) {
	tests := []struct {
		name string
		mode mode
		set  []string
		want map[string]int
	}{
		{name: "defaults", mode: namespacedMode,
			want: map[string]int{"ServiceMonitor": 0, "ConfigMap": 0, "Service": 2, "CustomResourceDefinition": 3}},
		{name: "cluster values", mode: clusterMode,
			want: map[string]int{"ServiceMonitor": 1, "ConfigMap": 1, "Service": 2, "CustomResourceDefinition": 3}},
		{name: "no services, no CRDs", mode: namespacedMode,
			set:  []string{"--set", "metrics.service.enabled=false", "--set", "webhookReceiver.service.enabled=false", "--set", "crds.install=false"},
			want: map[string]int{"Service": 0, "CustomResourceDefinition": 0}},
		{name: "no service account", mode: namespacedMode, set: []string{"--set", "serviceAccount.create=false", "--set", "serviceAccount.name=tenant-ops"},
			want: map[string]int{"ServiceAccount": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := render(t, tt.mode, tt.set...)
			for kind, n := range tt.want {
				if got := len(find(objs, kind)); got != n {
					t.Errorf("%d %s, want %d", got, kind, n)
				}
			}
		})
	}
}

func TestServicesReachTheManager(t *testing.T) {
	objs := render(t, namespacedMode)
	d := deployment(t, objs)
	c := managerContainer(t, d)
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	want := map[string]string{"contactsync-metrics": "metrics", "contactsync-webhooks": "webhooks"}
	for _, o := range find(objs, "Service") {
		var s corev1.Service
		into(t, o, &s)
		for k, v := range s.Spec.Selector {
			if d.Spec.Template.Labels[k] != v {
				t.Errorf("service %s selects %s=%s, which the pod does not carry", s.Name, k, v)
			}
		}
		target := s.Spec.Ports[0].TargetPort.StrVal
		if target != want[s.Name] || ports[target] == 0 {
			t.Errorf("service %s targets port %q, want the container's %q port", s.Name, target, want[s.Name])
		}
	}
	if ports["webhooks"] != 9292 || ports["metrics"] != 8080 || ports["health"] != 8081 {
		t.Errorf("container ports %v, want metrics 8080, health 8081, webhooks 9292", ports)
	}
}

func TestServiceMonitorSelectsMetricsService(t *testing.T) {
	objs := render(t, clusterMode)
	sm := one(t, objs, "ServiceMonitor")
	if got := str(sm, "metadata", "labels", "release"); got != "kube-prometheus-stack" {
		t.Errorf("serviceMonitor labels lack release=kube-prometheus-stack: %v", get(sm, "metadata", "labels"))
	}
	selector := get(sm, "spec", "selector", "matchLabels").(map[string]any)
	var matched []string
	for _, o := range find(objs, "Service") {
		labels := get(o, "metadata", "labels").(map[string]any)
		ok := true
		for k, v := range selector {
			ok = ok && labels[k] == v
		}
		if ok {
			matched = append(matched, o.name())
		}
	}
	if !slices.Equal(matched, []string{"contactsync-metrics"}) {
		t.Errorf("ServiceMonitor selects services %q, want only contactsync-metrics", matched)
	}
	if _, err := helm(t, templateArgs(t, clusterMode, "--set", "metrics.service.enabled=false")...); err == nil ||
		!strings.Contains(err.Error(), "metrics.serviceMonitor.enabled needs metrics.service.enabled") {
		t.Errorf("a ServiceMonitor without the metrics Service renders; err = %v", err)
	}
}

func TestDashboardConfigMap(t *testing.T) {
	cm := one(t, render(t, clusterMode), "ConfigMap")
	if cm.namespace() != "monitoring" || str(cm, "metadata", "labels", "grafana_dashboard") != "1" {
		t.Errorf("dashboard ConfigMap in %q with labels %v, want namespace monitoring and grafana_dashboard=1",
			cm.namespace(), get(cm, "metadata", "labels"))
	}
	file, err := os.ReadFile(filepath.Join(chartDir(t), "dashboards", "contactsync.json"))
	if err != nil {
		t.Fatal(err)
	}
	var shipped, source any
	if err := json.Unmarshal([]byte(str(cm, "data", "contactsync.json")), &shipped); err != nil {
		t.Fatalf("shipped dashboard is not JSON: %v", err)
	}
	if err := json.Unmarshal(file, &source); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(shipped)
	b, _ := json.Marshal(source)
	if string(a) != string(b) {
		t.Error("the ConfigMap's dashboard differs from dashboards/contactsync.json")
	}
}

func TestValuesSchemaRejectsBadValues(t *testing.T) {
	for _, tt := range []struct{ set, wantErr string }{
		{"scope.mode=Everywhere", "scope.mode"},
		{"controller.logEncoder=xml", "logEncoder"},
		{"image.digest=latest", "digest"},
		{"metrics.port=0", "port"},
		{"crds.install=yes", "install"},
		{"scope.namespaces={Tenant_A}", "namespaces"},
		{"unknownKey=1", "unknownKey"},
	} {
		t.Run(tt.set, func(t *testing.T) {
			_, err := helm(t, templateArgs(t, namespacedMode, "--set", tt.set)...)
			if err == nil || !strings.Contains(err.Error(), "values don't meet the specifications of the schema") ||
				!strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("--set %s: err = %v, want a schema error naming %s", tt.set, err, tt.wantErr)
			}
		})
	}
}
