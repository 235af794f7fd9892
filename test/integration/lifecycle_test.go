package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	qbo "github.com/contactsync/contactsync/connectors/quickbooks/quickbookstest"
)

// dryRun plans: counts and masked samples in status, nothing in the target.
func TestDryRunWritesPlanNotTarget(t *testing.T) {
	g := needEnv(t)
	f := newQBToCC(t, g, 40, nil, func(cs *csv1.ContactSync) { cs.Spec.DryRun = true })
	before := f.cc.Contacts()
	cs := waitRun(g, f.sync, time.Time{}, 30*time.Second)
	run := cs.Status.LastRun
	g.Expect(run.Result).To(Equal(csv1.RunSucceeded), describe(cs))
	g.Expect(run.DryRun).To(BeTrue(), "lastRun.dryRun")
	g.Expect(run.Created).To(Equal(count(f.seeded, caseNew)+count(f.seeded, caseTwoEmails)+count(f.seeded, caseOddCase)), "planned creates")
	g.Expect(run.Plan).NotTo(BeEmpty(), "the plan's samples are in status")
	g.Expect(len(run.Plan)).To(BeNumerically("<=", 20))
	for _, p := range run.Plan {
		g.Expect(p.Action).NotTo(BeEmpty())
		g.Expect(p.Email).To(ContainSubstring("***@"), "plan emails are masked")
	}
	g.Expect(f.cc.Contacts()).To(Equal(before), "a dry run writes nothing to the target")
	g.Expect(cs.Status.LastSuccessfulSyncTime).To(BeNil(), "a dry run is not a sync")
	g.Expect(cs.Status.Cursor).To(BeEmpty(), "a dry run does not move the cursor")
	assertKstatus(g, cs)
	assertNoLeaks(t, f.ns, f.emails())
}

// Deleting a ContactSync stops it and leaves its contacts in the target;
// its metrics series go with it.
func TestDeletedSyncStopsAndLeavesContacts(t *testing.T) {
	g := needEnv(t)
	f := newQBToCC(t, g, 40, nil, nil)
	cs := waitRun(g, f.sync, time.Time{}, 30*time.Second)
	g.Expect(cs.Status.LastRun.Result).To(Equal(csv1.RunSucceeded), describe(cs))
	g.Eventually(func() bool {
		_, ok := metric(scrape(t), "contactsync_runs_total", map[string]string{"namespace": f.ns, "name": f.sync.Name})
		return ok
	}).Should(BeTrue(), "the run is in the metrics")
	synced := f.cc.Contacts()

	g.Expect(k8s.Delete(context.Background(), cs)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(context.Background(), f.sync, &csv1.ContactSync{}))
	}).Should(BeTrue())
	calls := cdcCalls(f.qb)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// A change and its webhook after the deletion reach nothing.
	changed := f.seeded[0]
	_, err := f.qb.UpdateCustomer(changed.ID, func(c *qbo.Customer) { c.GivenName = "Gone" })
	g.Expect(err).NotTo(HaveOccurred())
	_, err = f.qb.SendEvents(ctx, webhookURL+"/webhooks/quickbooks", qbo.FormatLegacy,
		[]qbo.Event{{Entity: qbo.EntityCustomer, ID: changed.ID, Operation: "Update", Time: f.qb.Now()}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Consistently(func(g Gomega) {
		g.Expect(cdcCalls(f.qb)).To(Equal(calls), "a deleted ContactSync reads nothing")
	}).WithTimeout(3 * time.Second).Should(Succeed())
	g.Expect(f.cc.Contacts()).To(Equal(synced), "contacts stay in the target")
	g.Eventually(func() bool {
		_, ok := metric(scrape(t), "contactsync_runs_total", map[string]string{"namespace": f.ns, "name": f.sync.Name})
		return ok
	}).Should(BeFalse(), "the metrics series of a deleted ContactSync are removed")
}
