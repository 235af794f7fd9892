package syncer

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

func TestNewPolicyErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name      string
		spec      PolicySpec
		field     string
		inMessage string
	}{
		{"unknown mode", PolicySpec{Contacts: "Everyone"}, "contacts", "Everyone"},
		{"unknown permission", PolicySpec{NewContactPermission: "Maybe"}, "newContactPermission", "Maybe"},
		{"unknown updateExisting", PolicySpec{UpdateExisting: "Some"}, "updateExisting", "Some"},
		{"negative cap", PolicySpec{MaxContacts: -1}, "maxContacts", "negative"},
		{"split without lists", PolicySpec{Contacts: SplitBySubscription, SplitLists: SplitLists{NewSubscribers: "a", Existing: "c"}}, "splitLists.newNonSubscribers", "required"},
		{"split lists equal", PolicySpec{Contacts: SplitBySubscription, SplitLists: SplitLists{NewSubscribers: "a", NewNonSubscribers: "a", Existing: "c"}}, "splitLists", "differ"},
		{"split lists without split", PolicySpec{SplitLists: SplitLists{Existing: "c"}}, "splitLists", "only allowed"},
		{"empty tag", PolicySpec{Tags: []string{"ok", " "}}, "tags[1]", "empty"},
		{"unknown from", PolicySpec{FieldMappings: []FieldMapping{{From: "companyName", To: "company"}}}, "fieldMappings[0].from", "companyName"},
		{"unknown to", PolicySpec{FieldMappings: []FieldMapping{{From: "company", To: "org"}}}, "fieldMappings[0].to", "org"},
		{"bad custom name", PolicySpec{FieldMappings: []FieldMapping{{From: "company", To: "custom:a/b"}}}, "fieldMappings[0].to", "a/b"},
		{"address from a part", PolicySpec{FieldMappings: []FieldMapping{{From: "address.city", To: "address"}}}, "fieldMappings[0].from", "address.city"},
		{"two mappings to one field", PolicySpec{FieldMappings: []FieldMapping{{From: "company", To: "custom:c"}, {From: "phone", To: "custom:c"}}}, "fieldMappings[1].to", "fieldMappings[0]"},
		{"bad CEL", PolicySpec{Segments: []Segment{{Preset: "Repeat"}, {Name: "vip", When: "contact.purchases.total >"}}}, "segments[1].when", "Syntax error"},
		{"unknown CEL field", PolicySpec{Segments: []Segment{{Name: "vip", When: "contact.spend > 1.0"}}}, "segments[0].when", "spend"},
		{"non-bool rule", PolicySpec{Segments: []Segment{{Name: "vip", When: "contact.purchases.total"}}}, "segments[0].when", "bool"},
		{"unknown preset", PolicySpec{Segments: []Segment{{Preset: "RecentCustomers"}}}, "segments[0].preset", "RecentCustomers"},
		{"preset and rule", PolicySpec{Segments: []Segment{{Preset: "Repeat", When: "true"}}}, "segments[0]", "not both"},
		{"rule without name", PolicySpec{Segments: []Segment{{When: "true"}}}, "segments[0].name", "name"},
		{"two segments one list", PolicySpec{Segments: []Segment{{Preset: "Repeat", List: "VIP"}, {Name: "big", When: "true", List: "VIP"}}}, "segments[1].list", "segments[0]"},
		{"segment on a split list", PolicySpec{Contacts: SplitBySubscription, SplitLists: SplitLists{NewSubscribers: "a", NewNonSubscribers: "b", Existing: "c"},
			Segments: []Segment{{Preset: "Repeat", List: "c"}}}, "segments[0].list", "splitLists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewPolicy(tt.spec)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a *FieldError", err)
			}
			if fe.Field != tt.field || !strings.Contains(fe.Message, tt.inMessage) {
				t.Fatalf("got %q, want field %q with %q in the message", err, tt.field, tt.inMessage)
			}
			if !strings.HasPrefix(err.Error(), tt.field+": ") {
				t.Fatalf("message %q does not start with the field", err)
			}
		})
	}
}

func TestNewPolicyDefaults(t *testing.T) {
	p, err := NewPolicy(PolicySpec{Tags: []string{" QuickBooks Online ", "QuickBooks Online"}})
	if err != nil {
		t.Fatal(err)
	}
	s := p.Spec()
	if s.Contacts != AllContacts || s.NewContactPermission != connectors.PermissionImplicit || s.UpdateExisting != UpdateAllFields {
		t.Fatalf("defaults not applied: %+v", s)
	}
	if len(s.Tags) != 1 || s.Tags[0] != "QuickBooks Online" {
		t.Fatalf("tags not trimmed and deduplicated: %q", s.Tags)
	}
}

func TestFullPassDue(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	plain := mustPolicy(t, PolicySpec{Segments: []Segment{{Preset: "Repeat"}}})
	timed := mustPolicy(t, PolicySpec{Segments: []Segment{{Preset: "Recent"}}})
	rule := mustPolicy(t, PolicySpec{Segments: []Segment{{Name: "new", When: "contact.updatedAt > now - duration('24h')"}}})
	if plain.TimeBased() || !timed.TimeBased() || !rule.TimeBased() {
		t.Fatalf("TimeBased: plain %v, Recent %v, rule with now %v", plain.TimeBased(), timed.TimeBased(), rule.TimeBased())
	}
	tests := []struct {
		name     string
		p        *Policy
		lastFull time.Time
		interval time.Duration
		want     bool
	}{
		{"never without time segments", plain, now.Add(-1000 * time.Hour), 0, false},
		{"interval not reached", plain, now.Add(-time.Hour), 24 * time.Hour, false},
		{"interval reached", plain, now.Add(-24 * time.Hour), 24 * time.Hour, true},
		{"first full pass", plain, time.Time{}, time.Hour, true},
		{"time segments force daily when interval is 0", timed, now.Add(-25 * time.Hour), 0, true},
		{"time segments force daily when interval is a week", rule, now.Add(-25 * time.Hour), 7 * 24 * time.Hour, true},
		{"time segments within the day", timed, now.Add(-23 * time.Hour), 0, false},
		{"shorter interval kept with time segments", timed, now.Add(-2 * time.Hour), time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.FullPassDue(tt.lastFull, now, tt.interval); got != tt.want {
				t.Fatalf("FullPassDue = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMapFields(t *testing.T) {
	c := connectors.Contact{
		Email: "a@example.com", FirstName: "Ann", LastName: "Lee", Company: "Acme", Phone: "555",
		Address:   connectors.Address{City: "Oslo", Country: "NO"},
		Custom:    map[string]string{"DisplayName": "Ann L."},
		Purchases: connectors.Purchases{Count: 3, Total: 12.5, Last: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
	}
	tests := []struct {
		name  string
		spec  PolicySpec
		isNew bool
		want  connectors.Write
	}{
		{"defaults", PolicySpec{}, true, connectors.Write{FirstName: "Ann", LastName: "Lee", Company: "Acme", Phone: "555", Address: c.Address}},
		{"source custom fields are not mapped by default", PolicySpec{}, false, connectors.Write{FirstName: "Ann", LastName: "Lee", Company: "Acme", Phone: "555", Address: c.Address}},
		{"override replaces the default of that field", PolicySpec{FieldMappings: []FieldMapping{{From: "custom:DisplayName", To: "company"}}}, true,
			connectors.Write{FirstName: "Ann", LastName: "Lee", Company: "Ann L.", Phone: "555", Address: c.Address}},
		{"custom targets and purchases", PolicySpec{FieldMappings: []FieldMapping{{From: "purchases.total", To: "custom:TOTAL"}, {From: "purchases.last", To: "custom:LAST"}, {From: "address.city", To: "custom:CITY"}}}, true,
			connectors.Write{FirstName: "Ann", LastName: "Lee", Company: "Acme", Phone: "555", Address: c.Address,
				Custom: map[string]string{"TOTAL": "12.50", "LAST": "2026-01-02", "CITY": "Oslo"}}},
		{"skip phone and address on updates", PolicySpec{UpdateExisting: UpdateSkipPhoneAndAddress}, false, connectors.Write{FirstName: "Ann", LastName: "Lee", Company: "Acme"}},
		{"phone and address still written for new contacts", PolicySpec{UpdateExisting: UpdateSkipPhoneAndAddress}, true,
			connectors.Write{FirstName: "Ann", LastName: "Lee", Company: "Acme", Phone: "555", Address: c.Address}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPolicy(t, tt.spec)
			var w connectors.Write
			p.mapFields(&c, &w, tt.isNew)
			if !equalWrite(w, tt.want) {
				t.Fatalf("got %+v, want %+v", w, tt.want)
			}
		})
	}
}

// mustPolicy compiles spec; a nil t panics on error (property tests pass nil).
func mustPolicy(t testing.TB, spec PolicySpec) *Policy {
	p, err := NewPolicy(spec)
	if err != nil {
		if t == nil {
			panic(err)
		}
		t.Helper()
		t.Fatal(err)
	}
	return p
}

func equalWrite(a, b connectors.Write) bool {
	if len(a.Custom) != len(b.Custom) {
		return false
	}
	for k, v := range a.Custom {
		if b.Custom[k] != v {
			return false
		}
	}
	a.Custom, b.Custom = nil, nil
	return a.FirstName == b.FirstName && a.LastName == b.LastName && a.Company == b.Company &&
		a.Phone == b.Phone && a.Address == b.Address
}
