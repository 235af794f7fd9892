package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	cc "github.com/contactsync/contactsync/connectors/constantcontact/constantcontacttest"
	"github.com/contactsync/contactsync/connectors/kibo/kibotest"
	"github.com/contactsync/contactsync/internal/sandbox"
	"github.com/contactsync/contactsync/internal/syncer"
)

// A manager killed in the middle of a first sync and replaced by a new one
// finishes from status.cursor, with every contact in the list exactly once.
func TestManagerKilledMidRunResumesWithoutDuplicatesOrLosses(t *testing.T) {
	g := needEnv(t)
	ns := newNamespace(t)
	isolated := map[string]string{isolatedLabel: "true"}
	// Only managers of this test's own see the namespace: one at a time.
	startOwn := func() func() {
		stop, err := startManager(ctrl.Options{
			Cache:                   cache.Options{DefaultNamespaces: map[string]cache.Config{ns: {}}},
			GracefulShutdownTimeout: ptrTo(5 * time.Second),
		}, "")
		g.Expect(err).NotTo(HaveOccurred())
		return stop
	}

	// Kibo pages hold 200 accounts: 800 make four pages, each written and
	// checkpointed before the next cursor is stored.
	kb := kibotest.New(kibotest.Options{})
	kb.Generate(800, 9)
	// Opted-in customers go through Constant Contact's bulk import; opted-out
	// ones would be created one call each (imports cannot set not_set),
	// which at this latency would take minutes.
	// PutAccount keeps the generated dates (an update would put every
	// account inside the connector's two-second settle window).
	for _, a := range kb.Accounts() {
		a.AcceptsMarketing = true
		kb.PutAccount(a)
	}
	target := cc.New(cc.Options{RequestsPerSecond: -1})
	target.CreateList(listName)
	createSecret(t, ns, "shop-credentials", kb.Credentials())
	src := &csv1.SourceConnection{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop", Labels: isolated}, Spec: csv1.SourceConnectionSpec{
		Kibo: &csv1.KiboSource{TenantID: kb.TenantID(), SiteID: kb.SiteID()}, Endpoint: serve(t, kb.Handler()),
		CredentialsRef: csv1.LocalObjectReference{Name: "shop-credentials"}}}
	create(t, src)
	tgt := constantContactTarget(t, ns, "newsletter", target, serve(t, target.Handler()), listName, isolated)

	first := startOwn()
	stopped := false
	defer func() {
		if !stopped {
			first()
		}
	}()
	waitConnectionReady(g, src)
	waitConnectionReady(g, tgt)
	// Slow API calls make the run last long enough to be cut off.
	target.Sandbox().SetFaults(sandbox.Faults{Latency: sandbox.Duration{Duration: time.Second}})
	key := newSync(t, ns, "shop-to-newsletter", "shop", "newsletter", func(cs *csv1.ContactSync) { cs.Labels = isolated })

	// Kill the manager once status shows a checkpoint of the first run.
	var cut *csv1.ContactSync
	g.Eventually(func(g Gomega) {
		cut = getSync(g, key)
		g.Expect(cut.Status.LastRun).NotTo(BeNil(), "no progress yet: %s; cc requests %v; kibo %v", describe(cut), fmtRequests(target.Sandbox()), fmtRequests(kb.Sandbox()))
		g.Expect(cut.Status.LastRun.Result).To(Equal(csv1.RunRunning), describe(cut))
		g.Expect(cut.Status.Cursor).NotTo(BeEmpty(), "no checkpoint yet")
		g.Expect(findCondition(cut, csv1.ConditionReconciling).Status).To(Equal(metav1.ConditionTrue), "Reconciling while a run is under way")
	}).WithTimeout(60 * time.Second).WithPolling(50 * time.Millisecond).Should(Succeed())
	first()
	stopped = true
	g.Expect(cut.Status.LastRun.Fetched).To(BeNumerically("<", 800), "the run was cut off before the end")
	t.Logf("cut off after %d fetched, %d created", cut.Status.LastRun.Fetched, cut.Status.LastRun.Created)

	target.Sandbox().SetFaults(sandbox.Faults{})
	second := startOwn()
	defer second()
	cs := waitRun(g, key, time.Time{}, 60*time.Second)
	g.Expect(cs.Status.LastRun.Result).To(Equal(csv1.RunSucceeded), describe(cs))
	g.Expect(cs.Status.LastRun.Fetched).To(BeNumerically("<", 800), "the new manager resumed from status.cursor instead of starting over")
	assertKstatus(g, cs)
	assertNextSync(g, cs)

	// Every active account with a valid address is in the list, once.
	want := map[string]bool{}
	var emails []string
	for _, a := range kb.Accounts() {
		e := syncer.NormalizeEmail(a.EmailAddress)
		emails = append(emails, a.EmailAddress)
		if a.IsActive && syncer.ValidateEmail(e) == nil {
			want[e] = true
		}
	}
	got := map[string]int{}
	for _, c := range target.Contacts() {
		got[strings.ToLower(c.Email)]++
		g.Expect(c.Lists).To(Equal([]string{listName}), "contact %s is in the list exactly once", maskForReport(c.Email))
		g.Expect(slices.Compact(slices.Clone(c.Tags))).To(Equal(c.Tags), "contact %s has no tag twice", maskForReport(c.Email))
	}
	for e := range want {
		g.Expect(got[e]).To(Equal(1), "%s is in Constant Contact exactly once (0: lost)", maskForReport(e))
	}
	g.Expect(got).To(HaveLen(len(want)), "no contact beyond the active accounts with a valid address")
	assertNoLeaks(t, ns, emails)
}

func ptrTo[T any](v T) *T { return &v }

func fmtRequests(s *sandbox.Server) string {
	total, by := s.Requests()
	return fmt.Sprintf("%d %v", total, by)
}
