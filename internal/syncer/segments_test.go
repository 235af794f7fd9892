package syncer

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestPresets(t *testing.T) {
	days := func(n int) time.Time { return testNow.AddDate(0, 0, -n) }
	tests := []struct {
		name string
		p    connectors.Purchases
		want []string
	}{
		{"never bought", connectors.Purchases{}, nil},
		{"one recent purchase", connectors.Purchases{Count: 1, Total: 20, First: days(3), Last: days(3)}, []string{"AllCustomers", "FirstTime", "Recent"}},
		{"repeat, 29 days ago", connectors.Purchases{Count: 4, Total: 80, First: days(400), Last: days(29)}, []string{"AllCustomers", "Repeat", "Recent"}},
		{"31 days ago: neither recent nor lapsed", connectors.Purchases{Count: 2, First: days(60), Last: days(31)}, []string{"AllCustomers", "Repeat"}},
		{"lapsed at 120 days", connectors.Purchases{Count: 1, First: days(120), Last: days(120)}, []string{"AllCustomers", "FirstTime", "Lapsed"}},
		{"lapsed long ago", connectors.Purchases{Count: 3, First: days(700), Last: days(500)}, []string{"AllCustomers", "Repeat", "Lapsed"}},
	}
	p := mustPolicy(t, PolicySpec{Segments: []Segment{{Preset: "AllCustomers"}, {Preset: "FirstTime"}, {Preset: "Repeat"}, {Preset: "Recent"}, {Preset: "Lapsed"}}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connectors.Contact{Email: "a@example.com", Purchases: tt.p}
			in, out, errs := p.segmentGroups(&c, testNow)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if !slices.Equal(in, tt.want) {
				t.Fatalf("in %q, want %q", in, tt.want)
			}
			if len(in)+len(out) != 5 {
				t.Fatalf("in %q and out %q do not cover the five segments", in, out)
			}
		})
	}
}

func TestRulesOverTheContact(t *testing.T) {
	c := connectors.Contact{
		Email: "a@example.com", FirstName: "Ann", Company: "Acme", Address: connectors.Address{Country: "NO"},
		Active: true, Consent: connectors.ConsentSubscribed, Tags: []string{"wholesale"},
		Custom:    map[string]string{"tier": "gold"},
		UpdatedAt: testNow.Add(-time.Hour),
		Purchases: connectors.Purchases{Count: 2, Total: 1500.5, Last: testNow.AddDate(0, 0, -1)},
	}
	tests := []struct {
		rule string
		want bool
	}{
		{"contact.purchases.total > 1000.0", true},
		{"contact.purchases.count == 2 && contact.active", true},
		{"contact.address.country == 'NO'", true},
		{"'wholesale' in contact.tags", true},
		{"contact.custom['tier'] == 'gold'", true},
		{"has(contact.custom.vip)", false},
		{"contact.consent == 'Subscribed'", true},
		{"contact.company.lowerAscii().startsWith('acme')", true},
		{"contact.updatedAt > now - duration('2h')", true},
		{"contact.email.endsWith('@example.org')", false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			prog, _, err := CompileRule(tt.rule)
			if err != nil {
				t.Fatal(err)
			}
			got, err := EvalRule(prog, &c, testNow)
			if err != nil || got != tt.want {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestRuleErrorIsPerContact(t *testing.T) {
	p := mustPolicy(t, PolicySpec{Segments: []Segment{{Name: "gold", When: "contact.custom['tier'] == 'gold'"}, {Preset: "AllCustomers"}}})
	c := connectors.Contact{Email: "a@example.com", Purchases: connectors.Purchases{Count: 1}}
	in, out, errs := p.segmentGroups(&c, testNow)
	if len(errs) != 1 || !slices.Equal(in, []string{"AllCustomers"}) || len(out) != 0 {
		t.Fatalf("in %q out %q errs %v: want the failing segment in neither and one error", in, out, errs)
	}
}

func FuzzSegmentEval(f *testing.F) {
	f.Add("contact.purchases.total > 1000.0", "gold", int64(3), 12.5, int64(1700000000))
	f.Add("contact.custom['tier'] == 'gold' || size(contact.tags) > 2", "", int64(0), -1.0, int64(0))
	f.Add("contact.purchases.last > now - duration('720h')", "x", int64(-5), 1e300, int64(-62135596800))
	f.Add("[1,2,3].map(x, x * contact.purchases.count).exists(y, y > 3)", "", int64(1)<<62, 0.0, int64(253402300799))
	f.Add("contact.email.repeat(1000000).size() > 0", "a", int64(1), 1.0, int64(1))
	f.Fuzz(func(t *testing.T, rule, tier string, count int64, total float64, unix int64) {
		if len(rule) > 4096 {
			return
		}
		prog, _, err := CompileRule(rule)
		if err != nil {
			return
		}
		if prog == nil {
			t.Fatal("no program and no error")
		}
		c := connectors.Contact{
			Email: "a@example.com", Custom: map[string]string{"tier": tier}, Tags: []string{tier},
			Purchases: connectors.Purchases{Count: int(count), Total: total, Last: time.Unix(unix, 0)},
			UpdatedAt: time.Unix(unix/2, 0),
		}
		_, _ = EvalRule(prog, &c, testNow)
	})
}

func TestFieldErrorUnwraps(t *testing.T) {
	_, err := NewPolicy(PolicySpec{Segments: []Segment{{Name: "x", When: "1 +"}}})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "segments[0].when" {
		t.Fatalf("got %v", err)
	}
}
