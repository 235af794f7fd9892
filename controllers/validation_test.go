package controllers

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
)

// The API server itself rejects invalid specs, with messages a person
// understands: these tests send each broken object to the real server.

func validSync(ns, name string) *csv1.ContactSync {
	return &csv1.ContactSync{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: csv1.ContactSyncSpec{
			SourceRef: csv1.LocalObjectReference{Name: "books"},
			TargetRef: csv1.LocalObjectReference{Name: "newsletter"},
			Interval:  metav1.Duration{Duration: 15 * time.Minute},
		},
	}
}

func TestContactSyncValidation(t *testing.T) {
	g := needEnv(t)
	ns := newNamespace(t)
	cases := []struct {
		name    string
		mutate  func(*csv1.ContactSync)
		wantErr string // "" means accepted
	}{
		{"minimal spec is accepted", func(*csv1.ContactSync) {}, ""},
		{"interval under a minute", func(c *csv1.ContactSync) { c.Spec.Interval.Duration = 30 * time.Second }, "interval must be at least 1m"},
		{"interval of exactly a minute", func(c *csv1.ContactSync) { c.Spec.Interval.Duration = time.Minute }, ""},
		{"splitLists without SplitBySubscription", func(c *csv1.ContactSync) {
			c.Spec.SplitLists = &csv1.SplitLists{NewSubscribers: "a", NewNonSubscribers: "b", Existing: "c"}
		}, "splitLists is required with contacts: SplitBySubscription and not allowed otherwise"},
		{"SplitBySubscription without splitLists", func(c *csv1.ContactSync) { c.Spec.Contacts = csv1.ContactsSplitBySubscription },
			"splitLists is required with contacts: SplitBySubscription"},
		{"SplitBySubscription with splitLists", func(c *csv1.ContactSync) {
			c.Spec.Contacts = csv1.ContactsSplitBySubscription
			c.Spec.SplitLists = &csv1.SplitLists{NewSubscribers: "Donors – subscribed", NewNonSubscribers: "Donors – not subscribed", Existing: "Donors – existing"}
		}, ""},
		{"negative maxContacts", func(c *csv1.ContactSync) { c.Spec.MaxContacts = -1 }, "spec.maxContacts"},
		{"unknown contacts mode", func(c *csv1.ContactSync) { c.Spec.Contacts = "Everyone" }, `spec.contacts: Unsupported value: "Everyone"`},
		{"unknown permission", func(c *csv1.ContactSync) { c.Spec.NewContactPermission = "Maybe" }, "spec.newContactPermission: Unsupported value"},
		{"segment with preset and rule", func(c *csv1.ContactSync) {
			c.Spec.Segments = []csv1.Segment{{Preset: csv1.PresetRepeat, Name: "x", When: "true"}}
		}, "a segment is either a preset or a name with a when rule"},
		{"segment with neither preset nor rule", func(c *csv1.ContactSync) { c.Spec.Segments = []csv1.Segment{{Name: "x"}} },
			"a segment is either a preset or a name with a when rule"},
		{"segment rule without a name", func(c *csv1.ContactSync) { c.Spec.Segments = []csv1.Segment{{When: "contact.purchases.count > 1"}} },
			"a segment with a when rule needs a name"},
		{"unknown preset", func(c *csv1.ContactSync) { c.Spec.Segments = []csv1.Segment{{Preset: "Whales"}} },
			"spec.segments[0].preset: Unsupported value"},
		{"good segments", func(c *csv1.ContactSync) {
			c.Spec.Segments = []csv1.Segment{{Preset: csv1.PresetRecent}, {Name: "big-spenders", When: "contact.purchases.total > 1000.0", List: "VIP"}}
		}, ""},
		{"fieldMapping to an unknown field", func(c *csv1.ContactSync) {
			c.Spec.FieldMappings = []csv1.FieldMapping{{From: "companyName", To: "nickname"}}
		}, "spec.fieldMappings[0].to"},
		{"fullSyncInterval shorter than interval", func(c *csv1.ContactSync) {
			c.Spec.FullSyncInterval = &metav1.Duration{Duration: 5 * time.Minute}
		}, "fullSyncInterval must be 0 (never) or at least the interval"},
		{"fullSyncInterval of 0 means never", func(c *csv1.ContactSync) { c.Spec.FullSyncInterval = &metav1.Duration{} }, ""},
		{"empty sourceRef name", func(c *csv1.ContactSync) { c.Spec.SourceRef.Name = "" }, "spec.sourceRef.name"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			obj := validSync(ns, "sync-"+string(rune('a'+i)))
			tc.mutate(obj)
			err := k8s.Create(context.Background(), obj)
			if tc.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(ContainSubstring(tc.wantErr))
		})
	}

	// Defaults live in the schema, so GitOps diffs stay clean.
	var got csv1.ContactSync
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "sync-a"}, &got)).To(Succeed())
	g.Expect(got.Spec.Interval.Duration).To(Equal(15 * time.Minute))
	g.Expect(got.Spec.FullSyncInterval.Duration).To(Equal(24 * time.Hour))
	g.Expect(got.Spec.InitialSync).To(Equal(csv1.InitialSyncAllActive))
	g.Expect(got.Spec.Contacts).To(Equal(csv1.ContactsAll))
	g.Expect(got.Spec.NewContactPermission).To(Equal(csv1.PermissionImplicit))
	g.Expect(got.Spec.UpdateExisting).To(Equal(csv1.UpdateAllFields))
}

func TestConnectionValidation(t *testing.T) {
	needEnv(t)
	ns := newNamespace(t)
	ref := csv1.LocalObjectReference{Name: "creds"}
	cases := []struct {
		name    string
		obj     client.Object
		wantErr string
	}{
		{"source with no provider", &csv1.SourceConnection{Spec: csv1.SourceConnectionSpec{CredentialsRef: ref}},
			"exactly one provider block must be set: quickbooks, magento, kibo or flipcause"},
		{"source with two providers", &csv1.SourceConnection{Spec: csv1.SourceConnectionSpec{CredentialsRef: ref,
			QuickBooks: &csv1.QuickBooksSource{RealmID: "123"}, Flipcause: &csv1.FlipcauseSource{}}},
			"exactly one provider block must be set"},
		{"quickbooks with a non-numeric realm", &csv1.SourceConnection{Spec: csv1.SourceConnectionSpec{CredentialsRef: ref,
			QuickBooks: &csv1.QuickBooksSource{RealmID: "acme"}}}, "spec.quickbooks.realmID"},
		{"quickbooks in an unknown environment", &csv1.SourceConnection{Spec: csv1.SourceConnectionSpec{CredentialsRef: ref,
			QuickBooks: &csv1.QuickBooksSource{RealmID: "123", Environment: "staging"}}}, "spec.quickbooks.environment: Unsupported value"},
		{"magento without a URL scheme", &csv1.SourceConnection{Spec: csv1.SourceConnectionSpec{CredentialsRef: ref,
			Magento: &csv1.MagentoSource{BaseURL: "shop.example.com"}}}, "spec.magento.baseURL"},
		{"kibo with tenant 0", &csv1.SourceConnection{Spec: csv1.SourceConnectionSpec{CredentialsRef: ref,
			Kibo: &csv1.KiboSource{TenantID: 0, SiteID: 1}}}, "spec.kibo.tenantID"},
		{"endpoint that is not a URL", &csv1.SourceConnection{Spec: csv1.SourceConnectionSpec{CredentialsRef: ref,
			Flipcause: &csv1.FlipcauseSource{}, Endpoint: "localhost:8080"}}, "spec.endpoint"},
		{"good quickbooks source", &csv1.SourceConnection{Spec: csv1.SourceConnectionSpec{CredentialsRef: ref,
			QuickBooks: &csv1.QuickBooksSource{RealmID: "9130355377398186"}}}, ""},
		{"target with no provider", &csv1.ListTarget{Spec: csv1.ListTargetSpec{CredentialsRef: ref}},
			"exactly one provider block must be set: constantContact or mailchimp"},
		{"target with both providers", &csv1.ListTarget{Spec: csv1.ListTargetSpec{CredentialsRef: ref,
			ConstantContact: &csv1.ConstantContactTarget{List: "a"}, Mailchimp: &csv1.MailchimpTarget{Audience: "b"}}},
			"exactly one provider block must be set"},
		{"target with an empty list", &csv1.ListTarget{Spec: csv1.ListTargetSpec{CredentialsRef: ref,
			ConstantContact: &csv1.ConstantContactTarget{}}}, "spec.constantContact.list"},
		{"good mailchimp target", &csv1.ListTarget{Spec: csv1.ListTargetSpec{CredentialsRef: ref,
			Mailchimp: &csv1.MailchimpTarget{Audience: "Acme Customers"}}}, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			tc.obj.SetNamespace(ns)
			tc.obj.SetName("obj-" + string(rune('a'+i)))
			err := k8s.Create(context.Background(), tc.obj)
			if tc.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(ContainSubstring(tc.wantErr))
		})
	}
}
