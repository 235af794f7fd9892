package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
)

const settle = 20 * time.Second

func qboSource(ns, name, secret string) *csv1.SourceConnection {
	return &csv1.SourceConnection{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: csv1.SourceConnectionSpec{
			QuickBooks:     &csv1.QuickBooksSource{RealmID: "9130355377398186"},
			CredentialsRef: csv1.LocalObjectReference{Name: secret},
		},
	}
}

func mcTarget(ns, name, secret, audience string) *csv1.ListTarget {
	return &csv1.ListTarget{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: csv1.ListTargetSpec{
			Mailchimp:      &csv1.MailchimpTarget{Audience: audience},
			CredentialsRef: csv1.LocalObjectReference{Name: secret},
		},
	}
}

func secret(ns, name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

var qboKeys = map[string]string{"client-id": "id", "client-secret": "shh-client-secret", "refresh-token": "rt-1"}

// eventuallyReady waits until obj's Ready condition has the reason, then
// checks kstatus.
func eventuallyReason(t *testing.T, obj conditioned, wantStatus metav1.ConditionStatus, wantReason string) {
	t.Helper()
	g := NewWithT(t)
	key := client.ObjectKeyFromObject(obj.(client.Object))
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(context.Background(), key, obj.(client.Object))).To(Succeed())
		c := condition(obj, csv1.ConditionReady)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(wantReason), "message: %s", c.Message)
		g.Expect(c.Status).To(Equal(wantStatus))
		g.Expect(observed(obj)).To(Equal(obj.GetGeneration()))
	}, settle, 100*time.Millisecond).Should(Succeed())
	assertKstatus(g, obj, observed(obj))
	stalled := condition(obj, csv1.ConditionStalled)
	terminal := map[string]bool{csv1.ReasonSecretNotFound: true, csv1.ReasonMissingKey: true,
		csv1.ReasonAuthenticationFailed: true, csv1.ReasonListNotFound: true}
	if terminal[wantReason] {
		g.Expect(stalled).NotTo(BeNil(), "a terminal cause stalls")
		g.Expect(stalled.Reason).To(Equal(wantReason))
	} else {
		g.Expect(stalled).To(BeNil())
	}
}

func observed(obj conditioned) int64 {
	switch v := obj.(type) {
	case *csv1.SourceConnection:
		return v.Status.ObservedGeneration
	case *csv1.ListTarget:
		return v.Status.ObservedGeneration
	case *csv1.ContactSync:
		return v.Status.ObservedGeneration
	}
	return -2
}

func TestSourceConnectionSecretLifecycle(t *testing.T) {
	g := needEnv(t)
	ctx := context.Background()
	ns, other := newNamespace(t), newNamespace(t)

	// A Secret of the same name in another namespace is never read.
	g.Expect(k8s.Create(ctx, secret(other, "books-creds", qboKeys))).To(Succeed())
	sc := qboSource(ns, "books", "books-creds")
	g.Expect(k8s.Create(ctx, sc)).To(Succeed())
	eventuallyReason(t, sc, metav1.ConditionFalse, csv1.ReasonSecretNotFound)
	g.Expect(condition(sc, csv1.ConditionReady).Message).To(ContainSubstring(`Secret "books-creds" not found in namespace "` + ns + `"`))

	// The Secret appears without a key: the message names the key.
	g.Expect(k8s.Create(ctx, secret(ns, "books-creds", map[string]string{"client-id": "id", "refresh-token": "rt-1"}))).To(Succeed())
	eventuallyReason(t, sc, metav1.ConditionFalse, csv1.ReasonMissingKey)
	g.Expect(condition(sc, csv1.ConditionReady).Message).To(ContainSubstring("client-secret"))

	// Fixed later: Ready flips without a restart, through the Secret watch.
	var s corev1.Secret
	g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "books-creds"}, &s)).To(Succeed())
	s.Data["client-secret"] = []byte("shh-client-secret")
	g.Expect(k8s.Update(ctx, &s)).To(Succeed())
	eventuallyReason(t, sc, metav1.ConditionTrue, csv1.ReasonSucceeded)
	g.Expect(sc.Status.Account).NotTo(BeNil())
	g.Expect(sc.Status.Account.Name).To(Equal("Fake Books LLC"))
	g.Expect(sc.Status.Provider).To(Equal("quickbooks"))
	g.Expect(sc.Status.LastCheckedTime).NotTo(BeNil())

	// A revoked token stalls with the fix in the message.
	g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "books-creds"}, &s)).To(Succeed())
	s.Data["refresh-token"] = []byte("revoked")
	g.Expect(k8s.Update(ctx, &s)).To(Succeed())
	eventuallyReason(t, sc, metav1.ConditionFalse, csv1.ReasonAuthenticationFailed)
	msg := condition(sc, csv1.ConditionReady).Message
	g.Expect(msg).To(ContainSubstring("re-authorise"))
	g.Expect(msg).NotTo(ContainSubstring("shh-client-secret"), "no secret in status")

	// An unreachable provider is not terminal: Ready=False without Stalled.
	g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "books-creds"}, &s)).To(Succeed())
	s.Data["refresh-token"] = []byte("down")
	g.Expect(k8s.Update(ctx, &s)).To(Succeed())
	eventuallyReason(t, sc, metav1.ConditionFalse, csv1.ReasonUnreachable)

	// Events carry the Ready reason and no secret.
	var evs corev1.EventList
	g.Eventually(func() []string {
		_ = k8s.List(ctx, &evs, client.InNamespace(ns))
		var reasons []string
		for _, e := range evs.Items {
			g.Expect(e.Message).NotTo(ContainSubstring("shh-client-secret"))
			reasons = append(reasons, e.Reason)
		}
		return reasons
	}, settle).Should(ContainElement(csv1.ReasonSecretNotFound))
}

func TestListTargetConditions(t *testing.T) {
	g := needEnv(t)
	ctx := context.Background()
	ns := newNamespace(t)
	g.Expect(k8s.Create(ctx, secret(ns, "mc", map[string]string{"api-key": "0123456789abcdef-us6"}))).To(Succeed())

	missing := mcTarget(ns, "missing-list", "mc", "missing")
	g.Expect(k8s.Create(ctx, missing)).To(Succeed())
	eventuallyReason(t, missing, metav1.ConditionFalse, csv1.ReasonListNotFound)

	// Either alternative of the key set is accepted; the message lists both.
	g.Expect(k8s.Create(ctx, secret(ns, "mc-oauth", map[string]string{"access-token": "tok"}))).To(Succeed())
	half := mcTarget(ns, "half-oauth", "mc-oauth", "Acme Customers")
	g.Expect(k8s.Create(ctx, half)).To(Succeed())
	eventuallyReason(t, half, metav1.ConditionFalse, csv1.ReasonMissingKey)
	g.Expect(condition(half, csv1.ConditionReady).Message).To(ContainSubstring("api-key, or access-token and server"))

	good := mcTarget(ns, "newsletter", "mc", "Acme Customers")
	g.Expect(k8s.Create(ctx, good)).To(Succeed())
	eventuallyReason(t, good, metav1.ConditionTrue, csv1.ReasonSucceeded)
	g.Expect(good.Status.List).NotTo(BeNil())
	g.Expect(good.Status.List.Name).To(Equal("Acme Customers"))
	g.Expect(good.Status.List.MemberCount).To(Equal(int64(42)))

	// Fixing the spec (a new generation) clears Stalled.
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(missing), missing)).To(Succeed())
	missing.Spec.Mailchimp.Audience = "Acme Customers"
	g.Expect(k8s.Update(ctx, missing)).To(Succeed())
	eventuallyReason(t, missing, metav1.ConditionTrue, csv1.ReasonSucceeded)
}

func TestContactSyncReferences(t *testing.T) {
	g := needEnv(t)
	ctx := context.Background()
	ns := newNamespace(t)

	cs := validSync(ns, "acme")
	g.Expect(k8s.Create(ctx, cs)).To(Succeed())
	eventuallyReason(t, cs, metav1.ConditionFalse, csv1.ReasonSourceNotFound)
	g.Expect(condition(cs, csv1.ConditionReady).Message).To(ContainSubstring("spec.sourceRef.name"))

	g.Expect(k8s.Create(ctx, qboSource(ns, "books", "books-creds"))).To(Succeed())
	eventuallyReason(t, cs, metav1.ConditionFalse, csv1.ReasonTargetNotFound)

	g.Expect(k8s.Create(ctx, mcTarget(ns, "newsletter", "mc", "Acme Customers"))).To(Succeed())
	eventuallyReason(t, cs, metav1.ConditionFalse, csv1.ReasonSourceNotReady)
	// Once the source has been checked, its own reason shows here too.
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(cs), cs)).To(Succeed())
		g.Expect(strings.Contains(condition(cs, csv1.ConditionReady).Message, csv1.ReasonSecretNotFound)).To(BeTrue(),
			"the dependency's own reason is shown")
	}, settle, 100*time.Millisecond).Should(Succeed())

	g.Expect(k8s.Create(ctx, secret(ns, "books-creds", qboKeys))).To(Succeed())
	eventuallyReason(t, cs, metav1.ConditionFalse, csv1.ReasonTargetNotReady)

	g.Expect(k8s.Create(ctx, secret(ns, "mc", map[string]string{"api-key": "0123456789abcdef-us6"}))).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(cs), cs)).To(Succeed())
		c := condition(cs, csv1.ConditionReady)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).NotTo(BeElementOf(csv1.ReasonSourceNotFound, csv1.ReasonTargetNotFound,
			csv1.ReasonSourceNotReady, csv1.ReasonTargetNotReady))
	}, settle, 100*time.Millisecond).Should(Succeed())
}
