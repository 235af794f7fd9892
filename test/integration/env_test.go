package integration

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
)

var nsCounter atomic.Int64

// needEnv skips a test when there is no API server to run against.
func needEnv(t *testing.T) *WithT {
	t.Helper()
	if cfg == nil {
		t.Skip(skipReason)
	}
	g := NewWithT(t)
	g.SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	g.SetDefaultEventuallyTimeout(30 * time.Second)
	return g
}

// newNamespace creates a namespace of the test's own.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("it%d-%d", time.Now().UnixNano()%100000, nsCounter.Add(1))}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	return ns.Name
}

// serve runs an emulator on loopback for the test.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

func createSecret(t *testing.T, ns, name string, data map[string][]byte) {
	t.Helper()
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data})
}

// connection is what the suite needs of a SourceConnection or ListTarget.
type connection interface {
	client.Object
	GetConditions() []metav1.Condition
}

// waitConnectionReady waits until a connection has been checked and is Ready.
func waitConnectionReady(g *WithT, obj connection) {
	key := client.ObjectKeyFromObject(obj)
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(context.Background(), key, obj)).To(Succeed())
		ready := meta.FindStatusCondition(obj.GetConditions(), csv1.ConditionReady)
		g.Expect(ready).NotTo(BeNil(), "%T %s has no Ready condition yet", obj, key)
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), "%T %s: %s: %s", obj, key, ready.Reason, ready.Message)
	}).Should(Succeed())
}

// newSync creates a ContactSync with the defaults of the suite (interval
// 1m, the minimum) changed by mutate.
func newSync(t *testing.T, ns, name, source, target string, mutate func(*csv1.ContactSync)) types.NamespacedName {
	t.Helper()
	cs := &csv1.ContactSync{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: csv1.ContactSyncSpec{
			SourceRef: csv1.LocalObjectReference{Name: source}, TargetRef: csv1.LocalObjectReference{Name: target},
			Interval: metav1.Duration{Duration: time.Minute},
		},
	}
	if mutate != nil {
		mutate(cs)
	}
	create(t, cs)
	return client.ObjectKeyFromObject(cs)
}

func getSync(g Gomega, key types.NamespacedName) *csv1.ContactSync {
	var cs csv1.ContactSync
	g.Expect(k8s.Get(context.Background(), key, &cs)).To(Succeed())
	return &cs
}

// finished reports whether the last run of cs is over and its status
// settled on the current spec.
func finished(cs *csv1.ContactSync) bool {
	return cs.Status.LastRun != nil && cs.Status.LastRun.Result != csv1.RunRunning &&
		cs.Status.LastRun.CompletionTime != nil && cs.Status.ObservedGeneration == cs.Generation &&
		meta.FindStatusCondition(cs.Status.Conditions, csv1.ConditionReconciling) == nil
}

// waitRun waits until a run that started after since is over, and returns
// the ContactSync as it left it.
func waitRun(g *WithT, key types.NamespacedName, since time.Time, timeout time.Duration) *csv1.ContactSync {
	var cs *csv1.ContactSync
	g.Eventually(func(g Gomega) {
		cs = getSync(g, key)
		g.Expect(finished(cs)).To(BeTrue(), "no finished run yet: %s", describe(cs))
		g.Expect(cs.Status.LastRun.StartTime.Time).To(BeTemporally(">=", since.Truncate(time.Second)), "the last run is older than the change: %s", describe(cs))
	}).WithTimeout(timeout).Should(Succeed())
	return cs
}

// requestSync sets the sync-now annotation to a new value and waits until
// the run it asked for is over (status.lastHandledReconcileAt echoes it).
func requestSync(g *WithT, key types.NamespacedName, timeout time.Duration) *csv1.ContactSync {
	token := time.Now().UTC().Format(time.RFC3339Nano)
	cs := getSync(g, key)
	patch := client.MergeFrom(cs.DeepCopy())
	if cs.Annotations == nil {
		cs.Annotations = map[string]string{}
	}
	cs.Annotations[csv1.ReconcileRequestAnnotation] = token
	g.Expect(k8s.Patch(context.Background(), cs, patch)).To(Succeed())
	g.Eventually(func(g Gomega) {
		cs = getSync(g, key)
		g.Expect(cs.Status.LastHandledReconcileAt).To(Equal(token), "request not handled yet: %s", describe(cs))
		g.Expect(finished(cs)).To(BeTrue(), "run not over: %s", describe(cs))
	}).WithTimeout(timeout).Should(Succeed())
	return cs
}

func describe(cs *csv1.ContactSync) string {
	s := fmt.Sprintf("generation %d observed %d", cs.Generation, cs.Status.ObservedGeneration)
	if r := cs.Status.LastRun; r != nil {
		s += fmt.Sprintf(", last run %s/%s fetched %d created %d updated %d", r.Trigger, r.Result, r.Fetched, r.Created, r.Updated)
		if r.Message != "" {
			s += ": " + r.Message
		}
	}
	if c := meta.FindStatusCondition(cs.Status.Conditions, csv1.ConditionReady); c != nil {
		s += fmt.Sprintf(", Ready=%s %s: %s", c.Status, c.Reason, c.Message)
	}
	return s
}

// assertKstatus checks the kstatus conventions on a settled ContactSync:
// status observed the current generation, every condition is stamped with
// it, Reconciling and Stalled appear only while true, Ready is present.
func assertKstatus(g Gomega, cs *csv1.ContactSync) {
	g.Expect(cs.Status.ObservedGeneration).To(Equal(cs.Generation), "status.observedGeneration")
	for _, c := range cs.Status.Conditions {
		g.Expect(c.ObservedGeneration).To(Equal(cs.Generation), "condition %s observedGeneration", c.Type)
		if c.Type == csv1.ConditionReconciling || c.Type == csv1.ConditionStalled {
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "%s is present only while true", c.Type)
		}
		g.Expect(c.Reason).NotTo(BeEmpty(), "condition %s reason", c.Type)
	}
	g.Expect(meta.FindStatusCondition(cs.Status.Conditions, csv1.ConditionReady)).NotTo(BeNil(), "Ready is always present")
}

// assertNextSync checks that the next run is scheduled one interval after
// the last, within the ±10% jitter (nextSyncTime is truncated to seconds).
func assertNextSync(g Gomega, cs *csv1.ContactSync) {
	g.Expect(cs.Status.NextSyncTime).NotTo(BeNil(), "status.nextSyncTime")
	g.Expect(cs.Status.LastSyncTime).NotTo(BeNil(), "status.lastSyncTime")
	interval := cs.Spec.Interval.Duration
	gap := cs.Status.NextSyncTime.Sub(cs.Status.LastSyncTime.Time)
	g.Expect(gap).To(BeNumerically(">=", interval-interval/10-time.Second), "nextSyncTime - lastSyncTime")
	g.Expect(gap).To(BeNumerically("<=", interval+interval/10+time.Second), "nextSyncTime - lastSyncTime")
}

func clientKey(o client.Object) types.NamespacedName { return client.ObjectKeyFromObject(o) }
