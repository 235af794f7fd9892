package controllers

import (
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/contactsync/contactsync/connectors/transport"
)

// Options configure the controllers.
type Options struct {
	// ConnectionCheckInterval is how often healthy connections are checked again.
	ConnectionCheckInterval time.Duration
	// Concurrent is how many ContactSyncs may run at once.
	Concurrent int
	// JitterPercent spreads scheduled runs by ± this percentage of their interval.
	JitterPercent int
	// WebhookAddress is where the webhook receiver listens ("0" or "": off).
	WebhookAddress string
}

// DefaultOptions are the defaults of the manager's flags.
func DefaultOptions() Options {
	return Options{ConnectionCheckInterval: 10 * time.Minute, Concurrent: 4, JitterPercent: 10, WebhookAddress: ":9292"}
}

// Setup registers every controller of the operator with the manager.
func Setup(mgr ctrl.Manager, o Options) error {
	creds := &Credentials{
		Reader:   mgr.GetAPIReader(),
		Writer:   mgr.GetClient(),
		Limiters: transport.NewPool(transport.Options{Observer: observeAPIRequest}),
		Log:      ctrl.Log.WithName("connectors"),
	}
	if err := (&SourceConnectionReconciler{
		Client: mgr.GetClient(), Credentials: creds, Recorder: mgr.GetEventRecorder("sourceconnection-controller"),
		CheckInterval: o.ConnectionCheckInterval,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&ListTargetReconciler{
		Client: mgr.GetClient(), Credentials: creds, Recorder: mgr.GetEventRecorder("listtarget-controller"),
		CheckInterval: o.ConnectionCheckInterval,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	rec := mgr.GetEventRecorder("contactsync-controller")
	runner := NewRunner(mgr.GetClient(), creds, rec, o.JitterPercent)
	if err := (&ContactSyncReconciler{
		Client: mgr.GetClient(), Credentials: creds, Recorder: rec, Runner: runner,
		MaxConcurrent: o.Concurrent,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	return nil
}
