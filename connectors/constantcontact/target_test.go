package constantcontact

import (
	"slices"
	"strings"
	"testing"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/constantcontact/constantcontacttest"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		list     string // "" = the seeded "Newsletter"; "@id" = its ID
		create   bool
		wantKind connectors.ErrorKind
		wantName string
		members  int64
	}{
		{name: "by name", wantName: "Newsletter", members: 2},
		{name: "by ID", list: "@id", wantName: "Newsletter", members: 2},
		{name: "missing name", list: "Donors 2015", wantKind: connectors.KindNotFound},
		{name: "missing ID", list: "0b7a7e6e-1111-4222-8333-944455556666", wantKind: connectors.KindNotFound},
		{name: "created when missing", list: "Donors 2015", create: true, wantName: "Donors 2015"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			em := constantcontacttest.New(constantcontacttest.Options{RequestsPerSecond: -1, TokenRequestsPerSecond: -1})
			id := em.CreateList("Newsletter")
			if err := em.Seed(constantcontacttest.SeedContact{Email: "a@example.com", Lists: []string{"Newsletter"}},
				constantcontacttest.SeedContact{Email: "b@example.com", Lists: []string{"Newsletter"}},
				constantcontacttest.SeedContact{Email: "c@example.com", Lists: []string{"Other"}}); err != nil {
				t.Fatal(err)
			}
			list := tc.list
			switch list {
			case "":
				list = "Newsletter"
			case "@id":
				list = id
			}
			e := newEnvFrom(t, em, envOpts{list: list, create: tc.create})
			info, err := e.target.Check(ctxT(t))
			if tc.wantKind != "" {
				if connectors.KindOf(err) != tc.wantKind {
					t.Fatalf("Check error = %v, want kind %s", err, tc.wantKind)
				}
				if !strings.Contains(err.Error(), list) {
					t.Errorf("error %q does not name the list %q", err, list)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if info.Name != tc.wantName || info.ID == "" || info.MemberCount != tc.members {
				t.Errorf("Check = %+v, want name %q with %d members", info, tc.wantName, tc.members)
			}
			if tc.create && !slices.ContainsFunc(em.Lists(), func(l constantcontacttest.List) bool { return l.Name == tc.wantName }) {
				t.Errorf("list %q was not created: %v", tc.wantName, em.Lists())
			}
		})
	}
}

// TestUpsertConsent drives every path of Upsert against contacts in every
// consent state and checks what the account holds afterwards.
func TestUpsertConsent(t *testing.T) {
	e := newEnv(t, envOpts{})
	seed := []constantcontacttest.SeedContact{
		{Email: "member@example.com", Permission: "explicit", FirstName: "Mem", Lists: []string{"Newsletter", "VIP"}},
		{Email: "selfunsub@example.com", Permission: "unsubscribed", OptOutSource: "Contact", Lists: []string{"Newsletter"}},
		{Email: "elsewhere@example.com", Permission: "not_set", FirstName: "Else", Lists: []string{"Other"}},
		{Email: "nolist@example.com", Permission: "implicit", FirstName: "Old"},
		{Email: "leaving@example.com", Permission: "implicit", Lists: []string{"Newsletter"}},
		{Email: "gone@example.com", Permission: "implicit", Deleted: true},
	}
	if err := e.em.Seed(seed...); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	emails := []string{"member@example.com", "selfunsub@example.com", "elsewhere@example.com", "nolist@example.com",
		"leaving@example.com", "gone@example.com", "new@example.com"}
	// Enough emails that Lookup reads the whole account.
	for i := len(emails); i <= perEmailLookups; i++ {
		emails = append(emails, "absent"+string(rune('a'+i))+"@example.com")
	}
	got, err := e.target.Lookup(ctx, emails)
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	checks := []struct {
		email  string
		status connectors.MemberStatus
		inList bool
		groups []string
	}{
		{"member@example.com", connectors.MemberSubscribed, true, []string{"VIP"}},
		{"selfunsub@example.com", connectors.MemberOptedOut, true, nil},
		{"elsewhere@example.com", connectors.MemberNotSubscribed, false, []string{"Other"}},
		{"nolist@example.com", connectors.MemberSubscribed, false, nil},
	}
	for _, c := range checks {
		tc, ok := got[c.email]
		if !ok || tc.Status != c.status || tc.InList != c.inList || !slices.Equal(tc.Groups, c.groups) || tc.ID == "" {
			t.Errorf("Lookup[%s] = %+v (found %v), want status %s inList %v groups %v", c.email, tc, ok, c.status, c.inList, c.groups)
		}
	}
	for _, absent := range []string{"gone@example.com", "new@example.com"} {
		if _, ok := got[absent]; ok {
			t.Errorf("Lookup reported %s, which the account does not hold (deleted or new)", absent)
		}
	}

	writes := []connectors.Write{
		{Email: "new@example.com", Create: true, Permission: connectors.PermissionImplicit, FirstName: "New",
			Custom: map[string]string{"Donor Level": "Gold"}, Tags: []string{"QuickBooks Online"}, AddGroups: []string{"VIP"}},
		{Email: "explicit@example.com", Create: true, Permission: connectors.PermissionExplicit, FirstName: "Ex"},
		{Email: "gone@example.com", Create: true, Permission: connectors.PermissionImplicit},
		{Email: "member@example.com", ID: got["member@example.com"].ID, FirstName: "Member", RemoveGroups: []string{"VIP"}},
		// Races: the engine thought these were new, or could be re-subscribed.
		{Email: "selfunsub@example.com", Create: true, Permission: connectors.PermissionExplicit, FirstName: "Nope"},
		{Email: "elsewhere@example.com", FirstName: "Elsewhere"},
		{Email: "nolist@example.com", FirstName: "NoList"},
		{Email: "leaving@example.com", Unsubscribe: true},
		{Email: "not an email", Create: true},
	}
	res, err := e.target.Upsert(ctx, writes)
	if err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	if len(res) != len(writes) {
		t.Fatalf("Upsert returned %d results for %d writes", len(res), len(writes))
	}
	by := resultsByEmail(res)
	want := map[string]connectors.Outcome{
		"new@example.com": connectors.OutcomeCreated, "explicit@example.com": connectors.OutcomeCreated,
		"gone@example.com": connectors.OutcomeCreated, "member@example.com": connectors.OutcomeUpdated,
		"selfunsub@example.com": connectors.OutcomeOptedOut, "elsewhere@example.com": connectors.OutcomeUpdated,
		"nolist@example.com": connectors.OutcomeUpdated, "leaving@example.com": connectors.OutcomeUnsubscribed,
		"not an email": connectors.OutcomeInvalidEmail,
	}
	for email, o := range want {
		if by[email].Outcome != o {
			t.Errorf("result for %s = %+v, want %s", email, by[email], o)
		}
	}

	state := func(email string) constantcontacttest.Contact {
		c, ok := e.em.Contact(email)
		if !ok {
			t.Fatalf("%s is not in the account", email)
		}
		return c
	}
	if c := state("new@example.com"); c.Permission != "implicit" || c.FirstName != "New" ||
		!slices.Equal(c.Lists, []string{"Newsletter", "VIP"}) || c.Custom["donor_level"] != "Gold" ||
		!slices.Equal(c.Tags, []string{"QuickBooks Online"}) {
		t.Errorf("new contact = %+v", c)
	}
	if c := state("explicit@example.com"); c.Permission != "explicit" || !slices.Equal(c.Lists, []string{"Newsletter"}) {
		t.Errorf("explicit contact = %+v, want explicit permission in Newsletter", c)
	}
	if c := state("gone@example.com"); c.Deleted || !slices.Contains(c.Lists, "Newsletter") {
		t.Errorf("deleted contact was not added back: %+v", c)
	}
	if c := state("member@example.com"); c.FirstName != "Member" || c.Permission != "explicit" || !slices.Equal(c.Lists, []string{"Newsletter"}) {
		t.Errorf("member = %+v, want renamed, still explicit, out of VIP", c)
	}
	if c := state("selfunsub@example.com"); c.Permission != "unsubscribed" || c.FirstName == "Nope" {
		t.Errorf("a contact who unsubscribed was touched: %+v", c)
	}
	if c := state("elsewhere@example.com"); c.FirstName != "Elsewhere" || c.Permission != "not_set" || slices.Contains(c.Lists, "Newsletter") {
		t.Errorf("update of a contact in another list = %+v, want renamed, not_set, not moved to Newsletter", c)
	}
	if c := state("nolist@example.com"); c.FirstName != "NoList" || c.Permission != "implicit" || len(c.Lists) != 0 {
		t.Errorf("update of a contact in no list = %+v", c)
	}
	if c := state("leaving@example.com"); c.Permission != "unsubscribed" || c.OptOutSource != "Contact" {
		t.Errorf("unsubscribed contact = %+v, want unsubscribed by the contact", c)
	}
	if n := e.calls("POST /v3/contacts/sign_up_form"); n != 0 {
		t.Errorf("sign_up_form was called %d times; it re-subscribes contacts", n)
	}
	// One import per list set: Newsletter+VIP (new), Newsletter (gone,
	// member), Other (elsewhere, updated where it is).
	if n := e.calls("POST /v3/activities/contacts_json_import"); n != 3 {
		t.Errorf("imports = %d, want 3, one per list set", n)
	}

	// The snapshot follows our writes: no read is needed to see them.
	before, _ := e.em.Sandbox().Requests()
	again, err := e.target.Lookup(ctx, []string{"new@example.com", "leaving@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := e.em.Sandbox().Requests(); after != before {
		t.Errorf("Lookup after Upsert made %d calls, want 0", after-before)
	}
	if again["leaving@example.com"].Status != connectors.MemberOptedOut || !again["new@example.com"].InList {
		t.Errorf("snapshot after Upsert = %+v", again)
	}
}
