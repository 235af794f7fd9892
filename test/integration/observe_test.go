package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
)

// events returns the Events about one object.
func events(t *testing.T, ns, name string) []eventsv1.Event {
	t.Helper()
	var list eventsv1.EventList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatalf("listing Events: %v", err)
	}
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// assertNoLeaks checks that no Secret value of the namespace and no full
// email address appears in its objects, its Events or the managers' logs.
func assertNoLeaks(t *testing.T, ns string, emails []string) {
	t.Helper()
	var places []struct{ name, text string }
	add := func(name string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("encoding %s: %v", name, err)
		}
		places = append(places, struct{ name, text string }{name, strings.ToLower(string(b))})
	}
	var syncs csv1.ContactSyncList
	var sources csv1.SourceConnectionList
	var targets csv1.ListTargetList
	var evs eventsv1.EventList
	for _, l := range []client.ObjectList{&syncs, &sources, &targets, &evs} {
		if err := k8s.List(context.Background(), l, client.InNamespace(ns)); err != nil {
			t.Fatalf("listing %T: %v", l, err)
		}
	}
	add("ContactSyncs", syncs.Items)
	add("SourceConnections", sources.Items)
	add("ListTargets", targets.Items)
	add("Events", evs.Items)
	places = append(places, struct{ name, text string }{"logs", strings.ToLower(logs.String())})

	for _, p := range places {
		for _, s := range secretValues(t, ns) {
			if strings.Contains(p.text, strings.ToLower(s)) {
				t.Errorf("%s of namespace %s hold a Secret value (%d characters, starting %q)", p.name, ns, len(s), s[:3])
			}
		}
		for _, e := range emails {
			// An address with no local part ("@example.com") is part of
			// every masked one: it tells nothing.
			if strings.IndexByte(e, '@') > 0 && strings.Contains(p.text, strings.ToLower(e)) {
				t.Errorf("%s of namespace %s hold the full email address %s", p.name, ns, maskForReport(e))
			}
		}
	}
}

// maskForReport keeps the test's own failure messages free of the
// addresses it checks for.
func maskForReport(e string) string {
	if at := strings.LastIndexByte(e, '@'); at > 0 {
		return e[:1] + "***" + e[at:]
	}
	return "***"
}

// scrape reads the shared manager's metrics endpoint.
func scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatalf("scraping %s: %v", metricsURL, err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing metrics: %v", err)
	}
	return fams
}

// metric sums the values of a family's series that carry every given label.
func metric(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	var sum float64
	found := false
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum, found
}
