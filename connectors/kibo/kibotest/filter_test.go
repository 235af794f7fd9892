package kibotest

import (
	"testing"
	"time"
)

func TestFilter(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	accounts := []*Account{
		{ID: 1, EmailAddress: "Jane@Example.com", IsActive: true, AuditInfo: AuditInfo{UpdateDate: d("2024-06-01T00:00:00Z")}},
		{ID: 2, EmailAddress: "john@example.org", IsActive: false, AuditInfo: AuditInfo{UpdateDate: d("2024-06-01T00:00:01Z")}},
		{ID: 3, EmailAddress: "jane@example.com", AcceptsMarketing: true, AuditInfo: AuditInfo{UpdateDate: d("2024-07-01T00:00:00Z")}},
	}
	tests := []struct {
		filter string
		want   []int
	}{
		{"", []int{1, 2, 3}},
		{"emailAddress eq jane@example.com", []int{1, 3}},
		{`emailAddress eq "JANE@example.com"`, []int{1, 3}},
		{"emailAddress ne jane@example.com", []int{2}},
		{"emailAddress sw john", []int{2}},
		{"emailAddress cont example.", []int{1, 2, 3}},
		{"auditInfo.updateDate gt 2024-06-01T00:00:00z", []int{2, 3}},
		{"auditInfo.updateDate ge 2024-06-01T00:00:00z and auditInfo.updateDate le 2024-06-30", []int{1, 2}},
		{"auditinfo.updatedate lt 2024-06-01T00:00:00.500Z", []int{1}},
		{"id eq 1 or id eq 3", []int{1, 3}},
		{"isActive eq true or acceptsMarketing eq true and id gt 2", []int{1, 3}},
		{"(isActive eq true or acceptsMarketing eq true) and id gt 2", []int{3}},
		{"id ge 2 and id le 2", []int{2}},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			f, err := parseFilter(tc.filter, accountFields)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, a := range accounts {
				if f == nil || f.eval(a) {
					got = append(got, a.ID)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestFilterRejectsBadInput(t *testing.T) {
	for _, f := range []string{
		"nosuchfield eq 1", "id xx 1", "id eq", "id eq abc", "isActive eq maybe",
		"auditInfo.updateDate gt yesterday", "(id eq 1", "id eq 1 and", `emailAddress eq "open`,
		"id sw 1", "id eq 1 id eq 2",
	} {
		if _, err := parseFilter(f, accountFields); err == nil {
			t.Errorf("filter %q: parsed, want an error", f)
		}
	}
}

func TestSort(t *testing.T) {
	d := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	items := []*Account{
		{ID: 3, AuditInfo: AuditInfo{UpdateDate: d}},
		{ID: 1, AuditInfo: AuditInfo{UpdateDate: d.Add(time.Second)}},
		{ID: 2, AuditInfo: AuditInfo{UpdateDate: d}},
	}
	keys, err := parseSort("auditInfo.updateDate asc, id desc", accountFields)
	if err != nil {
		t.Fatal(err)
	}
	sortItems(items, keys)
	if items[0].ID != 3 || items[1].ID != 2 || items[2].ID != 1 {
		t.Fatalf("order %d %d %d, want 3 2 1", items[0].ID, items[1].ID, items[2].ID)
	}
	for _, bad := range []string{"nope asc", "id sideways", "id asc extra"} {
		if _, err := parseSort(bad, accountFields); err == nil {
			t.Errorf("sortBy %q: parsed, want an error", bad)
		}
	}
}
