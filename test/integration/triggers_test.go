package integration

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	qbo "github.com/contactsync/contactsync/connectors/quickbooks/quickbookstest"
	"github.com/contactsync/contactsync/internal/sandbox"
)

// A signed QuickBooks webhook brings a change to the list within seconds;
// a badly signed one is refused and runs nothing.
func TestQuickBooksWebhookReachesTargetWithinSeconds(t *testing.T) {
	g := needEnv(t)
	f := newQBToCC(t, g, 40, nil, func(cs *csv1.ContactSync) { cs.Spec.UnsubscribeSync = true })
	cs := waitRun(g, f.sync, time.Time{}, 30*time.Second)
	g.Expect(cs.Status.LastRun.Result).To(Equal(csv1.RunSucceeded), describe(cs))
	// QuickBooks stores no marketing opt-in: status says reverse sync cannot be done.
	g.Expect(cs.Status.UnsubscribeSync).NotTo(BeNil(), "status.unsubscribeSync")
	g.Expect(cs.Status.UnsubscribeSync.Supported).To(BeFalse())
	g.Expect(cs.Status.UnsubscribeSync.Message).To(ContainSubstring("QuickBooks"))
	runsBefore := len(cs.Status.History)

	hook := webhookURL + "/webhooks/quickbooks"
	target := f.seeded[slices.IndexFunc(f.seeded, func(s seeded) bool { return s.Case == caseNew })]
	_, err := f.qb.UpdateCustomer(target.ID, func(c *qbo.Customer) { c.FamilyName = "Hooked" })
	g.Expect(err).NotTo(HaveOccurred())
	event := qbo.Event{Entity: qbo.EntityCustomer, ID: target.ID, Operation: "Update", Time: f.qb.Now()}

	// A forged notification: the body is right, the signature is not.
	body, err := f.qb.WebhookBody(qbo.FormatLegacy, []qbo.Event{event})
	g.Expect(err).NotTo(HaveOccurred())
	status, err := sandbox.PostWebhook(context.Background(), hook, body, map[string]string{qbo.SignatureHeader: "bm90IGEgc2lnbmF0dXJl"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(status).To(Equal(401), "a webhook with a wrong intuit-signature is refused")
	g.Consistently(func(g Gomega) {
		g.Expect(getSync(g, f.sync).Status.History).To(HaveLen(runsBefore), "a refused webhook runs nothing")
	}).WithTimeout(2 * time.Second).Should(Succeed())

	sent := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	status, err = f.qb.SendEvents(ctx, hook, qbo.FormatLegacy, []qbo.Event{event})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(status).To(Equal(200))
	g.Eventually(func(g Gomega) {
		c, ok := f.cc.Contact(target.Email)
		g.Expect(ok).To(BeTrue())
		g.Expect(c.LastName).To(Equal("Hooked"))
	}).WithTimeout(5*time.Second).Should(Succeed(), "the change reaches Constant Contact within 5 s of the webhook")
	cs = waitRun(g, f.sync, sent, 10*time.Second)
	g.Expect(cs.Status.LastRun.Trigger).To(Equal(csv1.TriggerWebhook), describe(cs))
	g.Expect(cs.Status.LastRun.Updated).To(Equal(int64(1)), describe(cs))
	assertKstatus(g, cs)
	assertNextSync(g, cs)
	assertNoLeaks(t, f.ns, f.emails())
}

// A suspended ContactSync runs for nothing (no schedule, no annotation, no
// webhook); resuming it brings what changed meanwhile.
func TestSuspendedSyncDoesNothing(t *testing.T) {
	g := needEnv(t)
	f := newQBToCC(t, g, 40, nil, nil)
	cs := waitRun(g, f.sync, time.Time{}, 30*time.Second)
	g.Expect(cs.Status.LastRun.Result).To(Equal(csv1.RunSucceeded), describe(cs))
	lastRun := *cs.Status.LastRun

	setSuspend(g, cs, true)
	g.Eventually(func(g Gomega) {
		cs := getSync(g, f.sync)
		g.Expect(cs.Status.ObservedGeneration).To(Equal(cs.Generation), "the suspended spec is observed")
	}).Should(Succeed())

	target := f.seeded[slices.IndexFunc(f.seeded, func(s seeded) bool { return s.Case == caseNew })]
	_, err := f.qb.UpdateCustomer(target.ID, func(c *qbo.Customer) { c.GivenName = "Dormant" })
	g.Expect(err).NotTo(HaveOccurred())
	sourceCalls := cdcCalls(f.qb)
	cs = getSync(g, f.sync)
	annotate(g, cs, "while-suspended")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = f.qb.SendEvents(ctx, webhookURL+"/webhooks/quickbooks", qbo.FormatLegacy,
		[]qbo.Event{{Entity: qbo.EntityCustomer, ID: target.ID, Operation: "Update", Time: f.qb.Now()}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Consistently(func(g Gomega) {
		cs := getSync(g, f.sync)
		g.Expect(*cs.Status.LastRun).To(Equal(lastRun), "no run while suspended")
		g.Expect(cdcCalls(f.qb)).To(Equal(sourceCalls), "no source reads while suspended")
		c, _ := f.cc.Contact(target.Email)
		g.Expect(c.FirstName).To(Equal(target.First), "nothing reaches the target while suspended")
	}).WithTimeout(4 * time.Second).Should(Succeed())
	cs = getSync(g, f.sync)
	g.Expect(cs.Status.NextSyncTime).To(BeNil(), "nothing is scheduled while suspended")
	assertKstatus(g, cs)

	// Resuming is a spec change: it runs, and the change flows.
	resumed := time.Now()
	setSuspend(g, cs, false)
	cs = waitRun(g, f.sync, resumed, 30*time.Second)
	g.Expect(cs.Status.LastRun.Trigger).To(Equal(csv1.TriggerSpecChange), describe(cs))
	c, _ := f.cc.Contact(target.Email)
	g.Expect(c.FirstName).To(Equal("Dormant"))
	assertKstatus(g, cs)
	assertNextSync(g, cs)
}

func setSuspend(g *WithT, cs *csv1.ContactSync, suspend bool) {
	g.Eventually(func(g Gomega) {
		cur := getSync(g, clientKey(cs))
		cur.Spec.Suspend = suspend
		g.Expect(k8s.Update(context.Background(), cur)).To(Succeed())
	}).Should(Succeed())
}

func annotate(g *WithT, cs *csv1.ContactSync, value string) {
	g.Eventually(func(g Gomega) {
		cur := getSync(g, clientKey(cs))
		if cur.Annotations == nil {
			cur.Annotations = map[string]string{}
		}
		cur.Annotations[csv1.ReconcileRequestAnnotation] = value
		g.Expect(k8s.Update(context.Background(), cur)).To(Succeed())
	}).Should(Succeed())
}

// cdcCalls counts the change-feed and query reads a QuickBooks emulator
// served: a run reads them, a connection check does not.
func cdcCalls(qb *qbo.Emulator) int {
	_, byRoute := qb.Server().Requests()
	n := 0
	for route, c := range byRoute {
		if strings.Contains(route, "/cdc") || (strings.Contains(route, "/query") && !strings.HasSuffix(route, "CompanyInfo")) {
			n += c
		}
	}
	return n
}
