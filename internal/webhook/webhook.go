// Package webhook is the HTTP receiver of provider webhooks. It finds the
// connections a request may be for, lets their connector verify it with the
// connection's own secret, and hands the verified event to a Router: source
// changes trigger runs (debounced by the Router), Flipcause pushes are
// written through before the 2xx, and Mailchimp unsubscribes trigger the
// reverse sync of the target's ContactSyncs.
//
//	POST     /webhooks/quickbooks          intuit-signature
//	POST     /webhooks/kibo                Kibo event signature
//	POST     /webhooks/flipcause/{token}   secret path token; written through
//	GET|POST /webhooks/mailchimp/{token}   secret path token; GET is Mailchimp's URL check
//
// It imports nothing from Kubernetes: the controllers implement Router.
package webhook

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/contactsync/contactsync/connectors"
)

// Side says whether a provider is a source or a target.
type Side string

const (
	SourceSide Side = "source"
	TargetSide Side = "target"
)

// Candidate is a connection a webhook may be for.
type Candidate struct {
	Namespace, Name string
	Receiver        connectors.WebhookReceiver
}

// Router connects the receiver to the operator.
type Router interface {
	// Candidates returns the connections of a provider that accept webhooks.
	Candidates(ctx context.Context, side Side, provider string) ([]Candidate, error)
	// Trigger asks for runs of the ContactSyncs of a connection.
	Trigger(ctx context.Context, side Side, c Candidate, ev connectors.WebhookEvent) error
	// Push writes pushed contacts through to the targets of the
	// connection's ContactSyncs and returns once they have them.
	Push(ctx context.Context, c Candidate, contacts []connectors.Contact) error
}

// Requests counts webhook requests by provider and result, so a flood of
// bad signatures shows on a dashboard.
var Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "contactsync_webhook_requests_total",
	Help: "Webhook requests by provider and result (accepted, unauthorized, invalid, failed).",
}, []string{"provider", "result"})

// Server is the webhook receiver.
type Server struct {
	Router Router
	Log    logr.Logger
	// MaxBody bounds request bodies (default 5 MiB).
	MaxBody int64
	// PushTimeout bounds a write-through (default 2 minutes).
	PushTimeout time.Duration
}

// Handler returns the receiver's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/quickbooks", s.handle(SourceSide, "quickbooks"))
	mux.HandleFunc("POST /webhooks/kibo", s.handle(SourceSide, "kibo"))
	mux.HandleFunc("POST /webhooks/flipcause/{token}", s.handle(SourceSide, "flipcause"))
	mux.HandleFunc("POST /webhooks/mailchimp/{token}", s.handle(TargetSide, "mailchimp"))
	// Mailchimp checks a webhook URL with a GET before it saves it.
	mux.HandleFunc("GET /webhooks/mailchimp/{token}", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	return mux
}

func (s *Server) handle(side Side, provider string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		result, status := s.serve(r, side, provider)
		Requests.WithLabelValues(provider, result).Inc()
		if status >= 500 || status == http.StatusUnauthorized {
			s.Log.Info("webhook refused", "provider", provider, "result", result, "status", status)
		}
		w.WriteHeader(status)
	}
}

func (s *Server) serve(r *http.Request, side Side, provider string) (result string, status int) {
	limit := s.MaxBody
	if limit <= 0 {
		limit = 5 << 20
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "invalid", http.StatusRequestEntityTooLarge
		}
		return "invalid", http.StatusBadRequest
	}
	ctx := r.Context()
	candidates, err := s.Router.Candidates(ctx, side, provider)
	if err != nil {
		return "failed", http.StatusServiceUnavailable
	}
	// The connection is the one whose secret verifies the request; try
	// each (a tenant has few connections of one provider).
	var verified []Candidate
	for _, c := range candidates {
		if c.Receiver.VerifyWebhook(r, body) == nil {
			verified = append(verified, c)
		}
	}
	if len(verified) == 0 {
		return "unauthorized", http.StatusUnauthorized
	}
	for _, c := range verified {
		ev, err := c.Receiver.ParseWebhook(r, body)
		if err != nil {
			s.Log.Info("webhook payload not understood", "provider", provider, "namespace", c.Namespace, "connection", c.Name, "error", err.Error())
			return "invalid", http.StatusBadRequest
		}
		if len(ev.Contacts) > 0 {
			timeout := s.PushTimeout
			if timeout <= 0 {
				timeout = 2 * time.Minute
			}
			pctx, cancel := context.WithTimeout(ctx, timeout)
			err := s.Router.Push(pctx, c, ev.Contacts)
			cancel()
			if err != nil {
				// Not written: a 5xx makes the sender retry.
				s.Log.Error(err, "write-through failed", "provider", provider, "namespace", c.Namespace, "connection", c.Name)
				return "failed", http.StatusServiceUnavailable
			}
		}
		if len(ev.Accounts) > 0 || len(ev.Unsubscribes) > 0 {
			if err := s.Router.Trigger(ctx, side, c, ev); err != nil {
				return "failed", http.StatusServiceUnavailable
			}
		}
	}
	return "accepted", http.StatusOK
}
