// Package sandboxserver serves every provider emulator on one loopback port
// with generated data: `contactsync sandbox`, `make demo` and the end-to-end
// test all run it. Each of the five seed integrations of the samples
// (config/samples) gets its own source and target accounts, as five
// separate businesses would have, so their OAuth token rotations, rate
// limits and lists never interfere. An emulator is mounted at
// <base>/<provider>/<account>, which is the spec.endpoint of the
// SourceConnection or ListTarget that uses it.
package sandboxserver

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
)

// Options shape a sandbox. Zero values take the defaults.
type Options struct {
	// Customers generated in every source account (default 500).
	Customers int
	// Seed makes the generated data repeatable (default 42).
	Seed uint64
	// WebhookURL is the base URL of the operator's webhook receiver
	// ("http://127.0.0.1:9292"). When set, Flipcause delivers its donors to
	// <WebhookURL>/webhooks/flipcause/<token> and QuickBooks its change
	// events to <WebhookURL>/webhooks/quickbooks, as the real services do.
	WebhookURL string
	// Namespace of the manifests (default "contactsync-demo").
	Namespace string
}

// DefaultCustomers is the size of each generated source account.
const DefaultCustomers = 500

func (o *Options) defaults() {
	if o.Customers <= 0 {
		o.Customers = DefaultCustomers
	}
	if o.Seed == 0 {
		o.Seed = 42
	}
	if o.Namespace == "" {
		o.Namespace = "contactsync-demo"
	}
	o.WebhookURL = strings.TrimRight(o.WebhookURL, "/")
}

// Emulator is one emulated account of a provider.
type Emulator struct {
	// Provider is the registry name ("quickbooks", "constantcontact").
	Provider string
	// Account names the business the account belongs to ("harbor-bikes").
	Account string
	// Handler serves the provider's API and its /_sandbox/ admin endpoints.
	Handler http.Handler
	// Credentials are the data of a Secret that connects to the account.
	Credentials map[string][]byte
	// Unsubscribed are the emails that had unsubscribed in this target
	// account before the sandbox started: no sync may subscribe them again.
	Unsubscribed []string
	// Impl is the emulator itself (*quickbookstest.Emulator, …), for
	// callers that inspect its state through its Go API.
	Impl any
	// deliver sends the account's webhooks to the operator until ctx ends
	// (nil: the provider sends none the demo needs).
	deliver func(ctx context.Context, webhookURL string)
}

// Path is where the emulator is mounted: "/<provider>/<account>".
func (e *Emulator) Path() string { return "/" + e.Provider + "/" + e.Account }

// Integration is one seed integration: a source account, a target
// account, and the objects that sync one into the other.
type Integration struct {
	// Name is the business, used in object names ("harbor-bikes").
	Name   string
	Source *Emulator
	Target *Emulator
	// PushOnly sources (Flipcause) have no API: their SourceConnection
	// gets no endpoint, contacts arrive by webhook.
	PushOnly bool
	// Names of the objects of the integration, as in config/samples.
	SourceSecret, TargetSecret                string
	SourceConnection, ListTarget, ContactSync string

	sourceSpec csv1.SourceConnectionSpec
	targetSpec csv1.ListTargetSpec
	syncSpec   csv1.ContactSyncSpec
}

// Sandbox is the set of emulators of the five seed integrations.
type Sandbox struct {
	opts         Options
	integrations []*Integration
}

// New builds every emulator and fills the source accounts with generated
// customers and donors.
func New(o Options) (*Sandbox, error) {
	o.defaults()
	s := &Sandbox{opts: o}
	for _, build := range []func(Options) (*Integration, error){
		harborBikes, lakesideDental, riversideFoodBank, summitOutfitters, copperKettle,
	} {
		in, err := build(o)
		if err != nil {
			return nil, err
		}
		s.integrations = append(s.integrations, in)
	}
	return s, nil
}

// Options returns the options in effect, defaults applied.
func (s *Sandbox) Options() Options { return s.opts }

// Integrations lists the seed integrations in a stable order.
func (s *Sandbox) Integrations() []*Integration { return s.integrations }

// Integration returns the integration of that name, or nil.
func (s *Sandbox) Integration(name string) *Integration {
	for _, in := range s.integrations {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// Emulators lists every emulator, sorted by path.
func (s *Sandbox) Emulators() []*Emulator {
	var out []*Emulator
	for _, in := range s.integrations {
		out = append(out, in.Source, in.Target)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path() < out[j].Path() })
	return out
}

// Handler serves every emulator under its path, and at "/" an index of the
// emulators with their admin endpoints.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, e := range s.Emulators() {
		mux.Handle(e.Path()+"/", http.StripPrefix(e.Path(), e.Handler))
	}
	mux.HandleFunc("GET /{$}", s.index)
	return mux
}

// index lists the emulators as plain text, for people with curl.
func (s *Sandbox) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	base := "http://" + r.Host
	fmt.Fprintln(w, "ContactSync sandbox: every emulator is mounted at its path; admin endpoints are under <path>/_sandbox/.")
	fmt.Fprintln(w)
	s.WriteEndpoints(w, base)
}
