package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
)

// dependencyRecheck is how soon a ContactSync waiting for its source or
// target looks again (DESIGN §7: a Waiting error requeues, it does not stall).
const dependencyRecheck = 30 * time.Second

// ContactSyncReconciler resolves a ContactSync's source and target and runs
// its syncs (see runner.go).
type ContactSyncReconciler struct {
	client.Client
	// Runner runs the syncs.
	Runner *Runner
	// MaxConcurrent is how many ContactSyncs reconcile (and run) at once.
	MaxConcurrent int
}

func (r *ContactSyncReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var cs csv1.ContactSync
	if err := r.Get(ctx, req.NamespacedName, &cs); err != nil {
		if apierrors.IsNotFound(err) {
			r.Runner.Forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !cs.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}

	src, tgt, err := r.resolve(ctx, &cs)
	if err != nil {
		patch := client.MergeFrom(cs.DeepCopy())
		reason, _ := classify(err)
		// A missing or unready dependency is a wait, not a stall: the
		// watches on sources and targets bring us back when it changes.
		markFailed(&cs, reason, errorMessage(err), false)
		cs.Status.ObservedGeneration = cs.Generation
		if v := requestedAt(&cs); v != "" {
			cs.Status.LastHandledReconcileAt = v
		}
		if perr := r.Status().Patch(ctx, &cs, patch, client.FieldOwner(fieldOwner)); perr != nil {
			return ctrl.Result{}, perr
		}
		// The watches bring us back when a dependency changes; look again
		// later too, in case its change came before this object was cached.
		return ctrl.Result{RequeueAfter: dependencyRecheck}, nil
	}
	return r.Runner.Reconcile(ctx, &cs, src, tgt)
}

// resolve fetches the referenced source and target, same namespace only,
// and checks they are ready.
func (r *ContactSyncReconciler) resolve(ctx context.Context, cs *csv1.ContactSync) (*csv1.SourceConnection, *csv1.ListTarget, error) {
	var src csv1.SourceConnection
	if err := r.Get(ctx, types.NamespacedName{Namespace: cs.Namespace, Name: cs.Spec.SourceRef.Name}, &src); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil, &reconcileError{Reason: csv1.ReasonSourceNotFound,
				Err: fmt.Errorf("SourceConnection %q not found in namespace %q (spec.sourceRef.name)", cs.Spec.SourceRef.Name, cs.Namespace)}
		}
		return nil, nil, err
	}
	var tgt csv1.ListTarget
	if err := r.Get(ctx, types.NamespacedName{Namespace: cs.Namespace, Name: cs.Spec.TargetRef.Name}, &tgt); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil, &reconcileError{Reason: csv1.ReasonTargetNotFound,
				Err: fmt.Errorf("ListTarget %q not found in namespace %q (spec.targetRef.name)", cs.Spec.TargetRef.Name, cs.Namespace)}
		}
		return nil, nil, err
	}
	if !isReady(src.Status.Conditions, src.Generation, src.Status.ObservedGeneration) {
		return nil, nil, &reconcileError{Reason: csv1.ReasonSourceNotReady,
			Err: fmt.Errorf("SourceConnection %q is not ready: %s", src.Name, readyMessage(src.Status.Conditions))}
	}
	if !isReady(tgt.Status.Conditions, tgt.Generation, tgt.Status.ObservedGeneration) {
		return nil, nil, &reconcileError{Reason: csv1.ReasonTargetNotReady,
			Err: fmt.Errorf("ListTarget %q is not ready: %s", tgt.Name, readyMessage(tgt.Status.Conditions))}
	}
	return &src, &tgt, nil
}

func isReady(conds []metav1.Condition, generation, observed int64) bool {
	return observed == generation && meta.IsStatusConditionTrue(conds, csv1.ConditionReady)
}

func readyMessage(conds []metav1.Condition) string {
	if c := meta.FindStatusCondition(conds, csv1.ConditionReady); c != nil {
		return c.Reason + ": " + c.Message
	}
	return "not checked yet"
}

// SetupWithManager registers the controller: it reconciles on spec changes,
// on the sync-now annotation, and when its source or target changes status.
func (r *ContactSyncReconciler) SetupWithManager(mgr ctrl.Manager) error {
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(context.Background(), &csv1.ContactSync{}, indexSource,
		func(o client.Object) []string { return []string{o.(*csv1.ContactSync).Spec.SourceRef.Name} }); err != nil {
		return err
	}
	if err := idx.IndexField(context.Background(), &csv1.ContactSync{}, indexTarget,
		func(o client.Object) []string { return []string{o.(*csv1.ContactSync).Spec.TargetRef.Name} }); err != nil {
		return err
	}
	maxConc := r.MaxConcurrent
	if maxConc < 1 {
		maxConc = 4
	}
	// A dependency matters when its readiness (or what it resolved to) changes.
	depChanged := predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return readySignature(e.ObjectOld) != readySignature(e.ObjectNew)
	}}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("contactsync").
		For(&csv1.ContactSync{}, builder.WithPredicates(specOrRequest())).
		Watches(&csv1.SourceConnection{}, handler.EnqueueRequestsFromMapFunc(r.syncsReferencing(indexSource)),
			builder.WithPredicates(depChanged)).
		Watches(&csv1.ListTarget{}, handler.EnqueueRequestsFromMapFunc(r.syncsReferencing(indexTarget)),
			builder.WithPredicates(depChanged)).
		WithOptions(controller.Options{MaxConcurrentReconciles: maxConc})
	// Webhook triggers arrive through the runner's channel.
	return b.WatchesRawSource(source.Channel(r.Runner.events, &handler.EnqueueRequestForObject{})).Complete(r)
}

func (r *ContactSyncReconciler) syncsReferencing(index string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		var list csv1.ContactSyncList
		if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{index: o.GetName()}); err != nil {
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(list.Items))
		for i := range list.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
		return reqs
	}
}

// readySignature summarises what a ContactSync cares about in a dependency.
func readySignature(o client.Object) string {
	var conds []metav1.Condition
	var gen, observed int64
	switch v := o.(type) {
	case *csv1.SourceConnection:
		conds, gen, observed = v.Status.Conditions, v.Generation, v.Status.ObservedGeneration
	case *csv1.ListTarget:
		conds, gen, observed = v.Status.Conditions, v.Generation, v.Status.ObservedGeneration
	}
	reason := ""
	if c := meta.FindStatusCondition(conds, csv1.ConditionReady); c != nil {
		reason = c.Reason
	}
	// The reason is part of it so that a waiting ContactSync shows why its
	// dependency is not ready as soon as that changes.
	return fmt.Sprintf("%v/%d/%s", isReady(conds, gen, observed), gen, reason)
}

// eventf records an Event whose reason is the Ready reason.
func eventf(rec events.EventRecorder, obj client.Object, warning bool, reason, action, format string, args ...any) {
	typ := corev1.EventTypeNormal
	if warning {
		typ = corev1.EventTypeWarning
	}
	rec.Eventf(obj, nil, typ, reason, action, format, args...)
}
