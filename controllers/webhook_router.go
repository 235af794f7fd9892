package controllers

import (
	"context"
	"errors"
	"slices"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/internal/webhook"
)

// webhookRouter connects the webhook receiver to connections and runs.
type webhookRouter struct {
	client      client.Client
	credentials *Credentials
	runner      *Runner
}

var _ webhook.Router = (*webhookRouter)(nil)

// Candidates lists the ready connections of a provider whose connector
// accepts webhooks.
func (w *webhookRouter) Candidates(ctx context.Context, side webhook.Side, provider string) ([]webhook.Candidate, error) {
	var out []webhook.Candidate
	if side == webhook.SourceSide {
		var list csv1.SourceConnectionList
		if err := w.client.List(ctx, &list); err != nil {
			return nil, err
		}
		for i := range list.Items {
			sc := &list.Items[i]
			if sc.Spec.ProviderName() != provider {
				continue
			}
			src, err := w.credentials.SourceFor(ctx, sc)
			if err != nil {
				continue
			}
			if rcv, ok := src.(connectors.WebhookReceiver); ok {
				out = append(out, webhook.Candidate{Namespace: sc.Namespace, Name: sc.Name, Receiver: rcv})
			}
		}
		return out, nil
	}
	var list csv1.ListTargetList
	if err := w.client.List(ctx, &list); err != nil {
		return nil, err
	}
	for i := range list.Items {
		lt := &list.Items[i]
		if lt.Spec.ProviderName() != provider {
			continue
		}
		tgt, err := w.credentials.TargetFor(ctx, lt)
		if err != nil {
			continue
		}
		if rcv, ok := tgt.(connectors.WebhookReceiver); ok {
			out = append(out, webhook.Candidate{Namespace: lt.Namespace, Name: lt.Name, Receiver: rcv})
		}
	}
	return out, nil
}

// syncsOf lists the ContactSyncs that use a connection.
func (w *webhookRouter) syncsOf(ctx context.Context, side webhook.Side, c webhook.Candidate) ([]csv1.ContactSync, error) {
	index := indexSource
	if side == webhook.TargetSide {
		index = indexTarget
	}
	var list csv1.ContactSyncList
	if err := w.client.List(ctx, &list, client.InNamespace(c.Namespace), client.MatchingFields{index: c.Name}); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// Trigger asks for runs of the ContactSyncs of a connection whose account
// the event names (any account, for targets and events that name none).
func (w *webhookRouter) Trigger(ctx context.Context, side webhook.Side, c webhook.Candidate, ev connectors.WebhookEvent) error {
	if side == webhook.SourceSide && len(ev.Accounts) > 0 {
		var sc csv1.SourceConnection
		if err := w.client.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: c.Name}, &sc); err != nil {
			return err
		}
		if sc.Status.Account != nil && sc.Status.Account.ID != "" && !slices.Contains(ev.Accounts, sc.Status.Account.ID) {
			return nil
		}
	}
	syncs, err := w.syncsOf(ctx, side, c)
	if err != nil {
		return err
	}
	for i := range syncs {
		if !syncs[i].Spec.Suspend {
			w.runner.TriggerWebhook(client.ObjectKeyFromObject(&syncs[i]))
		}
	}
	return nil
}

// Push writes pushed contacts through every ContactSync of the source and
// returns only when all of them have them, so the sender retries otherwise.
func (w *webhookRouter) Push(ctx context.Context, c webhook.Candidate, contacts []connectors.Contact) error {
	syncs, err := w.syncsOf(ctx, webhook.SourceSide, c)
	if err != nil {
		return err
	}
	var errs []error
	for i := range syncs {
		cs := &syncs[i]
		if cs.Spec.Suspend {
			continue
		}
		var lt csv1.ListTarget
		if err := w.client.Get(ctx, types.NamespacedName{Namespace: cs.Namespace, Name: cs.Spec.TargetRef.Name}, &lt); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := w.runner.Push(ctx, cs, &lt, contacts); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
