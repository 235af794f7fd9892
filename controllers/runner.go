package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
)

// Runner runs the syncs of ContactSyncs.
type Runner struct{}

// Reconcile schedules or runs a sync of cs.
func (r *Runner) Reconcile(ctx context.Context, cs *csv1.ContactSync, src *csv1.SourceConnection, tgt *csv1.ListTarget) (ctrl.Result, error) {
	return ctrl.Result{}, nil
}

// Forget drops the state of a deleted ContactSync.
func (r *Runner) Forget(key types.NamespacedName) {}
