package controllers

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/contactsync/contactsync/connectors/transport"
	"github.com/contactsync/contactsync/internal/webhook"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

func init() { metrics.Registry.MustRegister(webhook.Requests) }

// webhookServer runs the webhook receiver with the manager, on the leader
// only: runs are triggered in the leader's memory.
type webhookServer struct {
	addr    string
	handler http.Handler
	// Addr is the bound address, once listening (tests use port 0).
	bound chan string
}

func (s *webhookServer) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

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
		Client: mgr.GetClient(), Runner: runner,
		MaxConcurrent: o.Concurrent,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	if o.WebhookAddress == "" || o.WebhookAddress == "0" {
		return nil
	}
	receiver := &webhook.Server{
		Router: &webhookRouter{client: mgr.GetClient(), credentials: creds, runner: runner},
		Log:    ctrl.Log.WithName("webhook"),
	}
	return mgr.Add(&webhookServer{addr: o.WebhookAddress, handler: receiver.Handler()})
}
