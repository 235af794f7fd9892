package controllers

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	runsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "contactsync_runs_total", Help: "Sync runs by result.",
	}, []string{"namespace", "name", "result"})
	contactsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "contactsync_contacts_total", Help: "Contacts handled by sync runs, by outcome.",
	}, []string{"namespace", "name", "outcome"})
	runDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "contactsync_run_duration_seconds", Help: "Duration of sync runs.",
		Buckets: []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800},
	}, []string{"namespace", "name"})
	apiRequestsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "contactsync_api_requests_total", Help: "Provider API requests by provider and HTTP status code (0: network error).",
	}, []string{"provider", "code"})
	lastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "contactsync_last_success_timestamp_seconds", Help: "Unix time of the last successful sync run.",
	}, []string{"namespace", "name"})
)

func init() {
	metrics.Registry.MustRegister(runsTotal, contactsTotal, runDuration, apiRequestsTotal, lastSuccess)
}

func observeAPIRequest(provider string, code int) {
	apiRequestsTotal.WithLabelValues(provider, strconv.Itoa(code)).Inc()
}

// forgetMetrics removes the series of a deleted ContactSync.
func forgetMetrics(namespace, name string) {
	labels := prometheus.Labels{"namespace": namespace, "name": name}
	runsTotal.DeletePartialMatch(labels)
	contactsTotal.DeletePartialMatch(labels)
	runDuration.DeletePartialMatch(labels)
	lastSuccess.DeletePartialMatch(labels)
}
