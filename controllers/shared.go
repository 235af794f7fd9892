package controllers

import (
	"context"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
)

const (
	// fieldOwner is the field manager of every status patch.
	fieldOwner = "contactsync-controller"
	// indexCredentials indexes connections by the Secret they reference.
	indexCredentials = ".spec.credentialsRef.name"
	// indexSource / indexTarget index ContactSyncs by their references.
	indexSource = ".spec.sourceRef.name"
	indexTarget = ".spec.targetRef.name"
	// checkTimeout bounds a provider health check.
	checkTimeout = 30 * time.Second
)

// specOrRequest passes spec changes (a new generation) and new values of the
// sync-now annotation, never label or annotation churn from GitOps tools.
func specOrRequest() predicate.Predicate {
	return predicate.Or(predicate.GenerationChangedPredicate{}, predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return requestedAt(e.ObjectNew) != "" && requestedAt(e.ObjectNew) != requestedAt(e.ObjectOld)
		},
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	})
}

func requestedAt(o client.Object) string {
	return o.GetAnnotations()[csv1.ReconcileRequestAnnotation]
}

// secretMapper maps a Secret to the connections in its namespace that
// reference it, through the credentials index.
func secretMapper(c client.Client, list client.ObjectList) handler.MapFunc {
	return func(ctx context.Context, secret client.Object) []reconcile.Request {
		name := strings.TrimSuffix(secret.GetName(), oauthStateSuffix)
		if name != secret.GetName() {
			// The operator's own state Secret changes on every rotation:
			// that is no reason to check again.
			return nil
		}
		l := list.DeepCopyObject().(client.ObjectList)
		if err := c.List(ctx, l, client.InNamespace(secret.GetNamespace()),
			client.MatchingFields{indexCredentials: secret.GetName()}); err != nil {
			return nil
		}
		var reqs []reconcile.Request
		items, _ := meta.ExtractList(l)
		for _, item := range items {
			o := item.(client.Object)
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)})
		}
		return reqs
	}
}

// retryDelay is how long to wait after a transient failure: what the
// provider asked for, or a minute.
func retryDelay(err error) time.Duration {
	if d := connectors.RetryAfterOf(err); d > 0 {
		return d
	}
	return time.Minute
}
