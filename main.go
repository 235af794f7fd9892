// Command contactsync is the ContactSync operator: it keeps the customers and
// donors of business systems synced into email-marketing lists.
//
//	contactsync [flags]          run the manager (controllers, webhook receiver, metrics, probes)
//	contactsync sandbox [flags]  serve every provider emulator on loopback with generated data
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	_ "github.com/contactsync/contactsync/connectors/all"
	"github.com/contactsync/contactsync/controllers"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*s = append(*s, part)
		}
	}
	return nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "sandbox" {
		os.Exit(runSandbox(os.Args[2:]))
	}
	os.Exit(runManager(os.Args[1:]))
}

func runManager(args []string) int {
	fs := flag.NewFlagSet("contactsync", flag.ExitOnError)
	var (
		opts                  controllers.Options
		metricsAddr, probes   string
		leaderElect           bool
		leaderElectionNS      string
		watchNamespaces       stringList
		watchLabelSelector    string
		zapOpts               = zap.Options{}
		connectionCheckPeriod = fs.Duration("connection-check-interval", controllers.DefaultOptions().ConnectionCheckInterval,
			"How often healthy SourceConnections and ListTargets are checked again.")
	)
	opts = controllers.DefaultOptions()
	fs.StringVar(&metricsAddr, "metrics-bind-address", ":8080", "Address of the Prometheus metrics endpoint (0 disables it).")
	fs.StringVar(&probes, "health-probe-bind-address", ":8081", "Address of the /healthz and /readyz probes.")
	fs.StringVar(&opts.WebhookAddress, "webhook-bind-address", opts.WebhookAddress, "Address of the receiver of provider webhooks (0 disables it).")
	fs.BoolVar(&leaderElect, "leader-elect", false, "Elect a leader among replicas, so that one runs syncs at a time.")
	fs.StringVar(&leaderElectionNS, "leader-election-namespace", "", "Namespace of the leader election Lease (default: the pod's namespace).")
	fs.Var(&watchNamespaces, "watch-namespace", "Namespace to watch; repeatable or comma-separated (also WATCH_NAMESPACE). Empty: all namespaces.")
	fs.StringVar(&watchLabelSelector, "watch-label-selector", "", "Only reconcile ContactSync objects matching this label selector (sharding).")
	fs.IntVar(&opts.JitterPercent, "interval-jitter-percentage", opts.JitterPercent, "Spread scheduled runs by ± this percentage of their interval.")
	fs.IntVar(&opts.Concurrent, "concurrent", opts.Concurrent, "How many ContactSyncs may run at once.")
	zapOpts.BindFlags(fs)
	_ = fs.Parse(args)
	opts.ConnectionCheckInterval = *connectionCheckPeriod
	if env := os.Getenv("WATCH_NAMESPACE"); env != "" && len(watchNamespaces) == 0 {
		_ = watchNamespaces.Set(env)
	}

	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")

	scheme := runtime.NewScheme()
	must(clientgoscheme.AddToScheme(scheme))
	must(csv1.AddToScheme(scheme))

	cacheOpts := cache.Options{}
	if len(watchNamespaces) > 0 {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range watchNamespaces {
			cacheOpts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	if watchLabelSelector != "" {
		sel, err := labels.Parse(watchLabelSelector)
		if err != nil {
			fmt.Fprintf(os.Stderr, "--watch-label-selector: %v\n", err)
			return 2
		}
		cacheOpts.ByObject = map[client.Object]cache.ByObject{&csv1.ContactSync{}: {Label: sel}}
	}

	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                        scheme,
		Cache:                         cacheOpts,
		Metrics:                       metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress:        probes,
		LeaderElection:                leaderElect,
		LeaderElectionID:              "contactsync.contactsync.io",
		LeaderElectionNamespace:       leaderElectionNS,
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		log.Error(err, "unable to create the manager")
		return 1
	}
	if err := controllers.Setup(mgr, opts); err != nil {
		log.Error(err, "unable to set up the controllers")
		return 1
	}
	must(mgr.AddHealthzCheck("healthz", healthz.Ping))
	must(mgr.AddReadyzCheck("readyz", healthz.Ping))

	log.Info("starting manager", "watchNamespaces", watchNamespaces.String(), "webhookAddress", opts.WebhookAddress)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "manager stopped with an error")
		return 1
	}
	return 0
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
