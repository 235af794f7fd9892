package chart_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// The operator's metrics (DESIGN.md §4) and the labels each carries.
var operatorMetrics = map[string][]string{
	"contactsync_runs_total":                     {"namespace", "name", "result"},
	"contactsync_contacts_total":                 {"namespace", "name", "outcome"},
	"contactsync_run_duration_seconds":           {"namespace", "name", "le"},
	"contactsync_api_requests_total":             {"provider", "code"},
	"contactsync_last_success_timestamp_seconds": {"namespace", "name"},
}

var (
	metricRef = regexp.MustCompile(`contactsync_[a-z_]+`)
	// selectorOf captures a metric with its {label matchers}; byClause captures by (...) lists.
	selectorOf = regexp.MustCompile(`(contactsync_[a-z_]+)\{([^}]*)\}`)
	matcher    = regexp.MustCompile(`([a-z_]+)\s*(=~|!~|!=|=)`)
	byClause   = regexp.MustCompile(`by \(([^)]*)\)`)
	histSuffix = regexp.MustCompile(`_(bucket|sum|count)$`)
)

// TestDashboardQueriesUseOperatorMetrics: every query names only metrics and labels the
// operator exports, and every metric is shown somewhere.
func TestDashboardQueriesUseOperatorMetrics(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chartDir(t), "dashboards", "contactsync.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard is not valid JSON: %v", err)
	}
	if dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatal("dashboard has no uid or no panels")
	}
	used := map[string]bool{}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			for _, m := range metricRef.FindAllString(target.Expr, -1) {
				base := m
				if _, ok := operatorMetrics[m]; !ok {
					base = histSuffix.ReplaceAllString(m, "")
				}
				if _, ok := operatorMetrics[base]; !ok || (base != m && base != "contactsync_run_duration_seconds") {
					t.Errorf("panel %q queries %s, which the operator does not export", p.Title, m)
				}
				used[base] = true
			}
			for _, sel := range selectorOf.FindAllStringSubmatch(target.Expr, -1) {
				for _, lm := range matcher.FindAllStringSubmatch(sel[2], -1) {
					if !slices.Contains(operatorMetrics[histSuffix.ReplaceAllString(sel[1], "")], lm[1]) {
						t.Errorf("panel %q filters %s on label %q, which it does not carry", p.Title, sel[1], lm[1])
					}
				}
			}
			for _, by := range byClause.FindAllStringSubmatch(target.Expr, -1) {
				for _, label := range regexp.MustCompile(`[a-z_]+`).FindAllString(by[1], -1) {
					found := false
					for _, m := range metricRef.FindAllString(target.Expr, -1) {
						found = found || slices.Contains(operatorMetrics[histSuffix.ReplaceAllString(m, "")], label)
					}
					if !found {
						t.Errorf("panel %q groups by %q, a label none of its metrics carries", p.Title, label)
					}
				}
			}
		}
	}
	for m := range operatorMetrics {
		if !used[m] {
			t.Errorf("no panel shows %s", m)
		}
	}
}
