package controllers

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
)

// ListTargetReconciler checks a ListTarget: its Secret, the Secret's keys,
// the credentials, and that the list or audience exists.
type ListTargetReconciler struct {
	client.Client
	Credentials   *Credentials
	Recorder      events.EventRecorder
	CheckInterval time.Duration
}

func (r *ListTargetReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var lt csv1.ListTarget
	if err := r.Get(ctx, req.NamespacedName, &lt); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !lt.DeletionTimestamp.IsZero() {
		r.Credentials.Forget(lt.UID)
		return ctrl.Result{}, nil
	}
	patch := client.MergeFrom(lt.DeepCopy())

	lt.Status.Provider = lt.Spec.ProviderName()
	info, err := r.check(ctx, &lt)
	now := metav1.Now()
	lt.Status.LastCheckedTime = &now
	lt.Status.ObservedGeneration = lt.Generation
	if err == nil {
		lt.Status.List = &csv1.ListInfo{ID: info.ID, Name: info.Name, MemberCount: info.MemberCount}
	}
	result := recordCheck(r.Recorder, &lt, err, "list "+info.Name+" found", r.CheckInterval)
	if left, has := r.Credentials.DailyRemaining(&lt); has {
		v := int64(left)
		lt.Status.DailyRequestsRemaining = &v
	}
	if err := r.Status().Patch(ctx, &lt, patch, client.FieldOwner(fieldOwner)); err != nil {
		return ctrl.Result{}, err
	}
	return result, nil
}

func (r *ListTargetReconciler) check(ctx context.Context, lt *csv1.ListTarget) (connectors.ListInfo, error) {
	tgt, err := r.Credentials.TargetFor(ctx, lt)
	if err != nil {
		return connectors.ListInfo{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	return tgt.Check(ctx)
}

// SetupWithManager registers the controller.
func (r *ListTargetReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &csv1.ListTarget{}, indexCredentials,
		func(o client.Object) []string { return []string{o.(*csv1.ListTarget).Spec.CredentialsRef.Name} }); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("listtarget").
		For(&csv1.ListTarget{}, builder.WithPredicates(specOrRequest())).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(
			secretMapper(r.Client, &csv1.ListTargetList{}))).
		Complete(r)
}
