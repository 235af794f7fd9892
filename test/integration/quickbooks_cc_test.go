package integration

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	cc "github.com/contactsync/contactsync/connectors/constantcontact/constantcontacttest"
	qbo "github.com/contactsync/contactsync/connectors/quickbooks/quickbookstest"
)

const (
	listName = "Newsletter"
	qbTag    = "QuickBooks Online"
	// stranger is in the list before the first run and not in QuickBooks:
	// the sync leaves it alone.
	stranger = "stranger@example.org"
)

// qbToCC is a QuickBooks company synced into a Constant Contact list.
type qbToCC struct {
	ns     string
	qb     *qbo.Emulator
	cc     *cc.Emulator
	seeded []seeded
	sync   types.NamespacedName
	source *csv1.SourceConnection
	target *csv1.ListTarget
	// userSecrets are the Secrets as the user created them.
	userSecrets map[string]corev1.Secret
}

// newQBToCC seeds n customers, creates the connections, waits for them to
// be ready and creates the ContactSync.
func newQBToCC(t *testing.T, g *WithT, n int, labels map[string]string, mutate func(*csv1.ContactSync)) *qbToCC {
	t.Helper()
	f := &qbToCC{ns: newNamespace(t), qb: qbo.New(qbo.Options{}), cc: cc.New(cc.Options{})}
	f.cc.CreateList(listName)
	seedTarget(t, f.cc, cc.SeedContact{Email: stranger, Permission: cc.PermImplicit, Lists: []string{listName}})
	f.seeded = seedQuickBooks(t, f.qb, f.cc, n)
	// The seed is history: move the company's clock on, so that the first
	// run's watermark lies after it. Otherwise customers seeded in the
	// second before the watermark are read again by the next run, and the
	// inactive ones among them are then created (reported to the lead).
	f.qb.Advance(time.Minute)
	f.source = quickBooksSource(t, f.ns, "books", f.qb, serve(t, f.qb.Handler()), labels)
	f.target = constantContactTarget(t, f.ns, "newsletter", f.cc, serve(t, f.cc.Handler()), listName, labels)
	f.userSecrets = map[string]corev1.Secret{}
	for _, name := range []string{"books-credentials", "newsletter-credentials"} {
		var s corev1.Secret
		g.Expect(k8s.Get(context.Background(), types.NamespacedName{Namespace: f.ns, Name: name}, &s)).To(Succeed())
		f.userSecrets[name] = s
	}
	waitConnectionReady(g, f.source)
	waitConnectionReady(g, f.target)
	f.sync = newSync(t, f.ns, "books-to-newsletter", "books", "newsletter", func(cs *csv1.ContactSync) {
		cs.Labels = labels
		cs.Spec.Tags = []string{qbTag}
		if mutate != nil {
			mutate(cs)
		}
	})
	return f
}

// emails returns every address the test seeded, valid or not.
func (f *qbToCC) emails() []string {
	var out []string
	for _, s := range f.seeded {
		if s.Email != "" {
			out = append(out, s.Email)
		}
		if s.Raw != "" && s.Case != caseOddCase && s.Case != caseTwoEmails {
			out = append(out, s.Raw)
		}
	}
	return out
}

// assertTargetHolds checks the Constant Contact account against the seed:
// every contact that must be there is, exactly once, with the consent the
// rules give it; nothing else was added.
func (f *qbToCC) assertTargetHolds(g Gomega) {
	contacts := f.cc.Contacts()
	byEmail := map[string]cc.Contact{}
	for _, c := range contacts {
		key := strings.ToLower(c.Email)
		g.Expect(byEmail).NotTo(HaveKey(key), "%s is in Constant Contact twice", maskForReport(key))
		byEmail[key] = c
	}
	want := 1 // the stranger
	for _, s := range f.seeded {
		c, ok := byEmail[s.Email]
		switch s.Case {
		case caseNew, caseTwoEmails, caseOddCase:
			want++
			g.Expect(ok).To(BeTrue(), "customer %s (case %d) is not in Constant Contact", s.ID, s.Case)
			g.Expect(c.Email).To(Equal(s.Email), "customer %s: the address is trimmed and lower-cased", s.ID)
			g.Expect(c.Permission).To(Equal(cc.PermImplicit), "customer %s: newContactPermission Implicit", s.ID)
			g.Expect(c.Lists).To(ConsistOf(listName), "customer %s lists", s.ID)
			g.Expect(c.Tags).To(ContainElement(qbTag), "customer %s tags", s.ID)
			g.Expect(c.FirstName).To(Equal(s.First), "customer %s first name", s.ID)
			g.Expect(c.LastName).To(Equal(s.Last), "customer %s last name", s.ID)
		case caseExisting:
			want++
			g.Expect(ok).To(BeTrue(), "customer %s was in Constant Contact before", s.ID)
			g.Expect(c.Permission).To(Equal(cc.PermExplicit), "customer %s: an existing contact keeps its permission", s.ID)
			g.Expect(c.Lists).To(ConsistOf(listName), "customer %s is added to the list", s.ID)
			g.Expect(c.FirstName).To(Equal(s.First), "customer %s: fields are updated (updateExisting AllFields)", s.ID)
		case caseUnsubscribedInTarget:
			want++
			g.Expect(ok).To(BeTrue(), "customer %s was in Constant Contact before", s.ID)
			g.Expect(c.Permission).To(Equal(cc.PermUnsubscribe), "customer %s is never subscribed again", s.ID)
			g.Expect(c.Lists).To(BeEmpty(), "customer %s is not added to the list", s.ID)
		case caseNoEmail, caseInvalidEmail, caseInactive:
			if s.Email != "" {
				g.Expect(ok).To(BeFalse(), "customer %s (case %d) must not be in Constant Contact", s.ID, s.Case)
			}
		}
	}
	g.Expect(contacts).To(HaveLen(want), "contacts in the Constant Contact account")
	s, ok := byEmail[stranger]
	g.Expect(ok).To(BeTrue(), "the contact that was in the list before stays")
	g.Expect(s.Lists).To(ConsistOf(listName))
}

// members counts the members of the list in the emulator.
func (f *qbToCC) members() int64 {
	var n int64
	for _, c := range f.cc.Contacts() {
		if slices.Contains(c.Lists, listName) {
			n++
		}
	}
	return n
}

// assertSecretsKept checks that the user's Secrets were never written and
// that rotated tokens went to the operator-owned state Secret of the connection.
func (f *qbToCC) assertSecretsKept(t *testing.T, g *WithT) {
	t.Helper()
	for name, before := range f.userSecrets {
		var now corev1.Secret
		g.Expect(k8s.Get(context.Background(), types.NamespacedName{Namespace: f.ns, Name: name}, &now)).To(Succeed())
		g.Expect(now.ResourceVersion).To(Equal(before.ResourceVersion), "the user's Secret %s is never written", name)
		g.Expect(now.Data).To(Equal(before.Data), "the user's Secret %s is never written", name)
	}
	// QuickBooks rotates the refresh token on every refresh: the current one
	// is in the state Secret, owned by the SourceConnection.
	var state corev1.Secret
	g.Expect(k8s.Get(context.Background(), types.NamespacedName{Namespace: f.ns, Name: "books-oauth-state"}, &state)).To(Succeed(),
		"the rotated QuickBooks token is stored in books-oauth-state")
	g.Expect(state.OwnerReferences).To(ContainElement(And(
		HaveField("Kind", "SourceConnection"), HaveField("Name", "books"), HaveField("UID", f.source.UID))),
		"books-oauth-state is owned by the SourceConnection")
	g.Expect(string(state.Data["refresh-token"])).To(Equal(string(f.qb.Credentials()["refresh-token"])),
		"books-oauth-state holds the refresh token QuickBooks issued last")
	g.Expect(state.Data["refresh-token"]).NotTo(Equal(f.userSecrets["books-credentials"].Data["refresh-token"]),
		"the refresh token rotated")
}

func TestQuickBooksToConstantContact(t *testing.T) {
	g := needEnv(t)
	f := newQBToCC(t, g, 240, nil, nil)

	// The first run: a full pass, triggered by the new spec.
	cs := waitRun(g, f.sync, time.Time{}, 60*time.Second)
	run := cs.Status.LastRun
	g.Expect(run.Result).To(Equal(csv1.RunSucceeded), describe(cs))
	g.Expect(run.Trigger).To(Equal(csv1.TriggerSpecChange))
	g.Expect(run.Full).To(BeTrue(), "the first run is a full pass")
	n := int64(len(f.seeded))
	g.Expect(run.Fetched).To(Equal(n), "fetched")
	g.Expect(run.Skipped).To(Equal(csv1.SkippedCounts{
		NoEmail: count(f.seeded, caseNoEmail), InvalidEmail: count(f.seeded, caseInvalidEmail),
		Inactive: count(f.seeded, caseInactive), UnsubscribedInTarget: count(f.seeded, caseUnsubscribedInTarget),
	}), "skipped")
	g.Expect(run.Created).To(Equal(count(f.seeded, caseNew)+count(f.seeded, caseTwoEmails)+count(f.seeded, caseOddCase)), "created")
	g.Expect(run.Updated).To(Equal(count(f.seeded, caseExisting)), "updated")
	g.Expect(run.Unchanged).To(BeZero(), "unchanged")
	g.Expect(run.Failed).To(BeZero(), "failed")
	g.Expect(run.APICalls.Source).To(BeNumerically(">", 0), "apiCalls.source")
	g.Expect(run.APICalls.Target).To(BeNumerically(">", 0), "apiCalls.target")
	f.assertTargetHolds(g)
	// contactsInTarget counts the contacts this sync keeps in the list (the
	// engine's count, the SYNCED column), not the contacts that were there before.
	g.Expect(cs.Status.ContactsInTarget).To(Equal(f.members()-1), "contactsInTarget")
	g.Expect(cs.Status.Cursor).NotTo(BeEmpty(), "status.cursor")
	g.Expect(cs.Status.LastSuccessfulSyncTime).NotTo(BeNil())
	g.Expect(cs.Status.History).To(HaveLen(1))
	g.Expect(cs.Status.UnsubscribeSync).To(BeNil(), "unsubscribeSync is off by default")

	// Invalid addresses are per-contact errors, masked.
	g.Expect(cs.Status.RecentErrors).To(HaveLen(int(count(f.seeded, caseInvalidEmail))))
	for _, e := range cs.Status.RecentErrors {
		i := slices.IndexFunc(f.seeded, func(s seeded) bool { return s.ID == e.SourceID })
		g.Expect(i).To(BeNumerically(">=", 0), "recentErrors names a seeded customer: %q", e.SourceID)
		g.Expect(f.seeded[i].Case).To(Equal(caseInvalidEmail))
		g.Expect(e.Reason).To(Equal("InvalidEmail"))
		g.Expect(e.Email).To(Equal(connectors.MaskEmail(strings.ToLower(f.seeded[i].Raw))), "recentErrors email is masked")
	}

	ready := findCondition(cs, csv1.ConditionReady)
	g.Expect(ready.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(ready.Reason).To(Equal(csv1.ReasonSucceeded))
	assertKstatus(g, cs)
	assertNextSync(g, cs)
	g.Eventually(func() []string {
		var reasons []string
		for _, e := range events(t, f.ns, f.sync.Name) {
			reasons = append(reasons, e.Reason)
		}
		return reasons
	}).Should(ContainElement(csv1.ReasonSucceeded), "an Event per run, with the Ready reason")

	// The connections show what they found.
	g.Expect(k8s.Get(context.Background(), types.NamespacedName{Namespace: f.ns, Name: "books"}, f.source)).To(Succeed())
	g.Expect(f.source.Status.Account).NotTo(BeNil())
	g.Expect(f.source.Status.Account.ID).To(Equal(f.qb.RealmID()))
	g.Expect(k8s.Get(context.Background(), types.NamespacedName{Namespace: f.ns, Name: "newsletter"}, f.target)).To(Succeed())
	g.Expect(f.target.Status.List).NotTo(BeNil())
	g.Expect(f.target.Status.List.Name).To(Equal(listName))

	// The metrics of DESIGN.md §4.
	fams := scrape(t)
	labels := map[string]string{"namespace": f.ns, "name": f.sync.Name}
	for _, m := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"contactsync_runs_total", map[string]string{"namespace": f.ns, "name": f.sync.Name, "result": "Succeeded"}, 1},
		{"contactsync_contacts_total", map[string]string{"namespace": f.ns, "name": f.sync.Name, "outcome": "created"}, float64(run.Created)},
		{"contactsync_contacts_total", map[string]string{"namespace": f.ns, "name": f.sync.Name, "outcome": "updated"}, float64(run.Updated)},
		{"contactsync_run_duration_seconds", labels, 1},
		{"contactsync_last_success_timestamp_seconds", labels, float64(cs.Status.LastSuccessfulSyncTime.Unix())},
	} {
		v, ok := metric(fams, m.name, m.labels)
		g.Expect(ok).To(BeTrue(), "metric %s%v is exported", m.name, m.labels)
		g.Expect(v).To(Equal(m.want), "metric %s%v", m.name, m.labels)
	}
	for _, p := range []string{"quickbooks", "constantcontact"} {
		v, _ := metric(fams, "contactsync_api_requests_total", map[string]string{"provider": p, "code": "200"})
		g.Expect(v).To(BeNumerically(">", 0), "contactsync_api_requests_total{provider=%q,code=\"200\"}", p)
	}

	// A change in QuickBooks flows on the next run, here asked for with the
	// annotation rather than waited for (the interval is a minute).
	changed := f.seeded[slices.IndexFunc(f.seeded, func(s seeded) bool { return s.Case == caseNew })]
	_, err := f.qb.UpdateCustomer(changed.ID, func(c *qbo.Customer) { c.GivenName = "Renamed" })
	g.Expect(err).NotTo(HaveOccurred())
	added, err := f.qb.UpsertCustomer(qbo.Customer{GivenName: "Nova", FamilyName: "Newcomer", DisplayName: "Nova Newcomer",
		PrimaryEmailAddr: &qbo.EmailAddress{Address: "nova.newcomer@example.com"}})
	g.Expect(err).NotTo(HaveOccurred())
	cs = requestSync(g, f.sync, 30*time.Second)
	run = cs.Status.LastRun
	g.Expect(run.Trigger).To(Equal(csv1.TriggerManual), describe(cs))
	g.Expect(run.Result).To(Equal(csv1.RunSucceeded), describe(cs))
	g.Expect(run.Full).To(BeFalse(), "a later run is incremental")
	g.Expect(run.Created).To(Equal(int64(1)), "created: the new customer")
	g.Expect(run.Updated).To(Equal(int64(1)), "updated: the renamed customer")
	renamed, _ := f.cc.Contact(changed.Email)
	g.Expect(renamed.FirstName).To(Equal("Renamed"))
	nova, ok := f.cc.Contact("nova.newcomer@example.com")
	g.Expect(ok).To(BeTrue(), "customer %s reached Constant Contact", added.Id)
	g.Expect(nova.Lists).To(ConsistOf(listName))
	g.Expect(cs.Status.History).To(HaveLen(2))
	assertKstatus(g, cs)
	assertNextSync(g, cs)

	// Nothing changed: an idle run costs at most two API calls and writes nothing.
	cs = requestSync(g, f.sync, 30*time.Second)
	run = cs.Status.LastRun
	g.Expect(run.Result).To(Equal(csv1.RunSucceeded), describe(cs))
	g.Expect(run.Created+run.Updated+run.Unsubscribed+run.Failed).To(BeZero(), "an idle run writes nothing")
	g.Expect(run.APICalls.Source+run.APICalls.Target).To(BeNumerically("<=", 2), "an idle run costs at most 2 API calls (DESIGN.md §6)")
	assertKstatus(g, cs)

	f.assertSecretsKept(t, g)
	assertNoLeaks(t, f.ns, append(f.emails(), "nova.newcomer@example.com"))
}

func findCondition(cs *csv1.ContactSync, typ string) metav1.Condition {
	for _, c := range cs.Status.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return metav1.Condition{}
}
