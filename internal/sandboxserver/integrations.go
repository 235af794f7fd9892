package sandboxserver

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors/constantcontact/constantcontacttest"
	"github.com/contactsync/contactsync/connectors/flipcause/flipcausetest"
	"github.com/contactsync/contactsync/connectors/kibo/kibotest"
	"github.com/contactsync/contactsync/connectors/magento/magentotest"
	"github.com/contactsync/contactsync/connectors/mailchimp/mailchimptest"
	"github.com/contactsync/contactsync/connectors/quickbooks/quickbookstest"
	"github.com/contactsync/contactsync/internal/sandbox"
)

// The five seed integrations mirror config/samples: same businesses,
// object names, provider blocks and sync settings, with the accounts the
// samples name (realm, tenant, audience, lists) created in the emulators.

// webhookWindow is how often the emulators deliver queued webhooks: the real
// services batch for minutes, which would only make the demo wait.
const webhookWindow = 5 * time.Second

func harborBikes(o Options) (*Integration, error) {
	qb := quickbooksAccount("harbor-bikes", "9130355377398186", "Harbor Bikes", o, 0)
	cc, err := constantContactAccount("harbor-bikes", "", o, 0)
	if err != nil {
		return nil, err
	}
	return &Integration{
		Name: "harbor-bikes", Source: qb, Target: cc,
		SourceSecret: "harbor-bikes-quickbooks", TargetSecret: "harbor-bikes-constantcontact",
		SourceConnection: "harbor-bikes-books", ListTarget: "harbor-bikes-customers", ContactSync: "harbor-bikes-books-to-cc",
		sourceSpec: csv1.SourceConnectionSpec{QuickBooks: &csv1.QuickBooksSource{RealmID: "9130355377398186", Environment: "production"}},
		targetSpec: csv1.ListTargetSpec{ConstantContact: &csv1.ConstantContactTarget{List: "Harbor Bikes Customers", CreateIfMissing: true}},
		syncSpec: csv1.ContactSyncSpec{
			Interval: minutes(15), FullSyncInterval: ptr(minutes(24 * 60)),
			InitialSync: "AllActive", Contacts: "AllContacts", NewContactPermission: "Implicit", UpdateExisting: "AllFields",
			FieldMappings: []csv1.FieldMapping{{From: "company", To: "company"}},
		},
	}, nil
}

func lakesideDental(o Options) (*Integration, error) {
	qb := quickbooksAccount("lakeside-dental", "4620816365178342010", "Lakeside Dental", o, 1)
	mc, err := mailchimpAccount("lakeside-dental", "Lakeside Dental Patients", o, 1)
	if err != nil {
		return nil, err
	}
	return &Integration{
		Name: "lakeside-dental", Source: qb, Target: mc,
		SourceSecret: "lakeside-dental-quickbooks", TargetSecret: "lakeside-dental-mailchimp",
		SourceConnection: "lakeside-dental-books", ListTarget: "lakeside-dental-patients", ContactSync: "lakeside-dental-books-to-mailchimp",
		sourceSpec: csv1.SourceConnectionSpec{QuickBooks: &csv1.QuickBooksSource{RealmID: "4620816365178342010", Environment: "production"}},
		targetSpec: csv1.ListTargetSpec{Mailchimp: &csv1.MailchimpTarget{Audience: "Lakeside Dental Patients"}},
		syncSpec: csv1.ContactSyncSpec{
			Interval: minutes(30), FullSyncInterval: ptr(minutes(24 * 60)),
			InitialSync: "AllActive", Contacts: "AllContacts", NewContactPermission: "Implicit", UpdateExisting: "SkipPhoneAndAddress",
			Tags:          []string{"QuickBooks Online"},
			FieldMappings: []csv1.FieldMapping{{From: "company", To: "custom:COMPANY"}, {From: "purchases.total", To: "custom:LTV"}},
			Segments:      []csv1.Segment{{Name: "big-spenders", When: "contact.purchases.total > 1000.0", List: "VIP patients"}},
		},
	}, nil
}

func riversideFoodBank(o Options) (*Integration, error) {
	fc := flipcausetest.New(flipcausetest.Options{})
	fc.Generate(o.Customers, seedOf(o, 2))
	src := &Emulator{Provider: "flipcause", Account: "riverside-food-bank", Handler: fc.Handler(), Credentials: fc.Credentials(), Impl: fc,
		deliver: func(ctx context.Context, webhookURL string) {
			fc.Run(ctx, webhookURL+"/webhooks/flipcause", webhookWindow)
		}}
	cc, err := constantContactAccount("riverside-food-bank", "2026 Donor List", o, 2)
	if err != nil {
		return nil, err
	}
	return &Integration{
		Name: "riverside-food-bank", Source: src, Target: cc, PushOnly: true,
		SourceSecret: "riverside-food-bank-flipcause", TargetSecret: "riverside-food-bank-constantcontact",
		SourceConnection: "riverside-food-bank-donations", ListTarget: "riverside-food-bank-donors", ContactSync: "riverside-food-bank-donors",
		sourceSpec: csv1.SourceConnectionSpec{Flipcause: &csv1.FlipcauseSource{}},
		targetSpec: csv1.ListTargetSpec{ConstantContact: &csv1.ConstantContactTarget{List: "2026 Donor List"}},
		syncSpec: csv1.ContactSyncSpec{
			Interval: minutes(60), FullSyncInterval: ptr(minutes(0)),
			Contacts: "SplitBySubscription", NewContactPermission: "Implicit",
			SplitLists: &csv1.SplitLists{NewSubscribers: "Donors – subscribed", NewNonSubscribers: "Donors – not subscribed",
				Existing: "Donors – existing contacts"},
			Tags: []string{"Flipcause"},
		},
	}, nil
}

func summitOutfitters(o Options) (*Integration, error) {
	kb := kibotest.New(kibotest.Options{TenantID: 27485, SiteID: 40231})
	kb.Generate(o.Customers, seedOf(o, 3))
	creds := kb.Credentials()
	// The sample verifies Kibo events with the shared secret, as Kibo signs them.
	creds["event-secret"] = creds["shared-secret"]
	src := &Emulator{Provider: "kibo", Account: "summit-outfitters", Handler: kb.Handler(), Credentials: creds, Impl: kb}
	cc, err := constantContactAccount("summit-outfitters", "Summit Outfitters Newsletter", o, 3)
	if err != nil {
		return nil, err
	}
	return &Integration{
		Name: "summit-outfitters", Source: src, Target: cc,
		SourceSecret: "summit-outfitters-kibo", TargetSecret: "summit-outfitters-constantcontact",
		SourceConnection: "summit-outfitters-store", ListTarget: "summit-outfitters-newsletter", ContactSync: "summit-outfitters-newsletter",
		sourceSpec: csv1.SourceConnectionSpec{Kibo: &csv1.KiboSource{TenantID: 27485, SiteID: 40231}},
		targetSpec: csv1.ListTargetSpec{ConstantContact: &csv1.ConstantContactTarget{List: "Summit Outfitters Newsletter"}},
		syncSpec: csv1.ContactSyncSpec{
			Interval: minutes(15), FullSyncInterval: ptr(minutes(24 * 60)),
			InitialSync: "AllActive", Contacts: "SubscribersOnly", UnsubscribeSync: true,
			Segments: []csv1.Segment{{Preset: "Repeat", List: "Summit Outfitters – repeat buyers"}},
		},
	}, nil
}

func copperKettle(o Options) (*Integration, error) {
	// The sample authenticates with the integration token as a Bearer token,
	// which the store must allow. (OAuth 1.0a would not work behind the
	// sandbox's path prefix: the emulator signs the path it sees, without it.)
	mg := magentotest.New(magentotest.Options{StoreCode: "default", BearerAllowed: true})
	mg.Generate(o.Customers, seedOf(o, 4))
	src := &Emulator{Provider: "magento", Account: "copper-kettle", Handler: mg.Handler(), Credentials: mg.BearerCredentials(), Impl: mg}
	cc, err := constantContactAccount("copper-kettle", "", o, 4)
	if err != nil {
		return nil, err
	}
	return &Integration{
		Name: "copper-kettle", Source: src, Target: cc,
		SourceSecret: "copper-kettle-magento", TargetSecret: "copper-kettle-constantcontact",
		SourceConnection: "copper-kettle-shop", ListTarget: "copper-kettle-customers", ContactSync: "copper-kettle-customers",
		sourceSpec: csv1.SourceConnectionSpec{Magento: &csv1.MagentoSource{BaseURL: "https://shop.copperkettle.example", StoreCode: "default"}},
		targetSpec: csv1.ListTargetSpec{ConstantContact: &csv1.ConstantContactTarget{List: "Copper Kettle Customers", CreateIfMissing: true}},
		syncSpec: csv1.ContactSyncSpec{
			Interval: minutes(15), FullSyncInterval: ptr(minutes(24 * 60)),
			InitialSync: "AllActive", Contacts: "AllContacts", NewContactPermission: "Implicit", UnsubscribeSync: true,
			Segments: []csv1.Segment{
				{Preset: "AllCustomers", List: "Copper Kettle – all customers"},
				{Preset: "FirstTime", List: "Copper Kettle – first-time customers"},
				{Preset: "Repeat", List: "Copper Kettle – repeat customers"},
				{Preset: "Recent", List: "Copper Kettle – recent customers (30 days)"},
				{Preset: "Lapsed", List: "Copper Kettle – lapsed customers (120 days)"},
			},
		},
	}, nil
}

// quickbooksAccount is a QuickBooks company with generated customers whose
// change events go to the operator's webhook receiver.
func quickbooksAccount(account, realm, company string, o Options, n int) *Emulator {
	qb := quickbookstest.New(quickbookstest.Options{RealmID: realm, CompanyName: company})
	qb.Generate(o.Customers, seedOf(o, n))
	return &Emulator{Provider: "quickbooks", Account: account, Handler: qb.Handler(), Credentials: qb.Credentials(), Impl: qb,
		deliver: func(ctx context.Context, webhookURL string) {
			qb.StartWebhooks(ctx, webhookURL+"/webhooks/quickbooks", quickbookstest.FormatLegacy, webhookWindow)
		}}
}

// constantContactAccount is a Constant Contact account where a few of the
// source's people unsubscribed already, so the demo shows that they stay
// unsubscribed. list, when set, is created first (the sample's ListTarget
// does not create it).
func constantContactAccount(account, list string, o Options, n int) (*Emulator, error) {
	cc := constantcontacttest.New(constantcontacttest.Options{})
	if list != "" {
		cc.CreateList(list)
	}
	var seed []constantcontacttest.SeedContact
	people := unsubscribed(o, n)
	for _, p := range people {
		seed = append(seed, constantcontacttest.SeedContact{Email: p.Email, Permission: constantcontacttest.PermUnsubscribe,
			FirstName: p.FirstName, LastName: p.LastName})
	}
	if err := cc.Seed(seed...); err != nil {
		return nil, fmt.Errorf("sandbox: seeding Constant Contact account %s: %w", account, err)
	}
	return &Emulator{Provider: "constantcontact", Account: account, Handler: cc.Handler(), Credentials: cc.Credentials(), Impl: cc,
		Unsubscribed: emails(people)}, nil
}

// mailchimpAccount is a Mailchimp account with the audience the sample
// names (Mailchimp targets never create audiences) and a few members who
// unsubscribed already. The data centre matches the sample's key (us21).
func mailchimpAccount(account, audience string, o Options, n int) (*Emulator, error) {
	mc := mailchimptest.New(mailchimptest.Options{DC: "us21"})
	id := mc.CreateList(audience)
	people := unsubscribed(o, n)
	if err := mc.SeedPeople(id, people, mailchimptest.StatusUnsubscribed); err != nil {
		return nil, fmt.Errorf("sandbox: seeding Mailchimp audience %q of %s: %w", audience, account, err)
	}
	return &Emulator{Provider: "mailchimp", Account: account, Handler: mc.Handler(), Credentials: mc.Credentials(), Impl: mc,
		Unsubscribed: emails(people)}, nil
}

// unsubscribedEvery picks one in so many source people, among those with a
// valid address, as already unsubscribed in the target.
const unsubscribedEvery = 25

// unsubscribed returns the people of integration n's source (the same
// generator and seed the source emulator used) who unsubscribed in its target.
func unsubscribed(o Options, n int) []sandbox.Person {
	g := sandbox.DefaultGenOptions()
	g.Seed = seedOf(o, n)
	var out []sandbox.Person
	for _, p := range sandbox.People(o.Customers, g) {
		// Only a person's own generated address is certainly valid and not shared.
		if p.Email == sandbox.EmailFor(p.FirstName, p.LastName, p.N) && p.N%unsubscribedEvery == unsubscribedEvery-1 {
			out = append(out, p)
		}
	}
	return out
}

func emails(people []sandbox.Person) []string {
	out := make([]string, len(people))
	for i, p := range people {
		out[i] = p.Email
	}
	return out
}

// seedOf gives each integration its own people.
func seedOf(o Options, n int) uint64 { return o.Seed + uint64(n)*1000 }

func minutes(m int) metav1.Duration { return metav1.Duration{Duration: time.Duration(m) * time.Minute} }

func ptr[T any](v T) *T { return &v }
