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
	"sigs.k8s.io/controller-runtime/pkg/log"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
)

// SourceConnectionReconciler checks a SourceConnection: its Secret, the
// Secret's keys, and the provider's answer to a health check.
type SourceConnectionReconciler struct {
	client.Client
	Credentials *Credentials
	Recorder    events.EventRecorder
	// CheckInterval is how often a healthy connection is checked again.
	CheckInterval time.Duration
}

// +kubebuilder:rbac:groups=contactsync.io,resources=sourceconnections;listtargets;contactsyncs,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=contactsync.io,resources=sourceconnections/status;listtargets/status;contactsyncs/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete

func (r *SourceConnectionReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var sc csv1.SourceConnection
	if err := r.Get(ctx, req.NamespacedName, &sc); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !sc.DeletionTimestamp.IsZero() {
		r.Credentials.Forget(sc.UID)
		return ctrl.Result{}, nil
	}
	patch := client.MergeFrom(sc.DeepCopy())

	sc.Status.Provider = sc.Spec.ProviderName()
	account, err := r.check(ctx, &sc)
	now := metav1.Now()
	sc.Status.LastCheckedTime = &now
	sc.Status.ObservedGeneration = sc.Generation
	if err == nil {
		sc.Status.Account = &csv1.AccountInfo{ID: account.ID, Name: account.Name}
	}
	result := recordCheck(r.Recorder, &sc, err, "connected to "+describeAccount(account), r.CheckInterval)
	if err := r.Status().Patch(ctx, &sc, patch, client.FieldOwner(fieldOwner)); err != nil {
		return ctrl.Result{}, err
	}
	log.FromContext(ctx).V(1).Info("checked source connection", "ready", err == nil)
	return result, nil
}

func (r *SourceConnectionReconciler) check(ctx context.Context, sc *csv1.SourceConnection) (connectors.Account, error) {
	src, err := r.Credentials.SourceFor(ctx, sc)
	if err != nil {
		return connectors.Account{}, err
	}
	_, sc.Status.OptOutWriteBack = src.(connectors.OptOutWriter)
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	return src.Check(ctx)
}

func describeAccount(a connectors.Account) string {
	switch {
	case a.Name != "" && a.ID != "":
		return a.Name + " (" + a.ID + ")"
	case a.Name != "":
		return a.Name
	}
	return a.ID
}

// SetupWithManager registers the controller: it reconciles on spec changes
// and on the sync-now annotation, and when a referenced Secret changes.
func (r *SourceConnectionReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &csv1.SourceConnection{}, indexCredentials,
		func(o client.Object) []string { return []string{o.(*csv1.SourceConnection).Spec.CredentialsRef.Name} }); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("sourceconnection").
		For(&csv1.SourceConnection{}, builder.WithPredicates(specOrRequest())).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(
			r.requestsForSecret(&csv1.SourceConnectionList{}))).
		Complete(r)
}

func (r *SourceConnectionReconciler) requestsForSecret(list client.ObjectList) handler.MapFunc {
	return secretMapper(r.Client, list)
}
