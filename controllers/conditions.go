package controllers

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
)

// maxMessage bounds condition messages: objects are limited in size and a
// provider error can be long.
const maxMessage = 2048

func trimMessage(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	return msg[:maxMessage-3] + "..."
}

// conditioned is a custom resource with conditions.
type conditioned interface {
	GetConditions() []metav1.Condition
	SetConditions([]metav1.Condition)
	GetGeneration() int64
}

// setCondition sets a condition stamped with the object's generation.
func setCondition(obj conditioned, typ string, status metav1.ConditionStatus, reason, msg string) {
	conds := obj.GetConditions()
	meta.SetStatusCondition(&conds, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: trimMessage(msg),
		ObservedGeneration: obj.GetGeneration(),
	})
	obj.SetConditions(conds)
}

// removeCondition drops a condition (kstatus: Reconciling and Stalled are
// present only while true).
func removeCondition(obj conditioned, typ string) {
	conds := obj.GetConditions()
	meta.RemoveStatusCondition(&conds, typ)
	obj.SetConditions(conds)
}

// markReady records success: Ready=True, no Stalled, no Reconciling.
func markReady(obj conditioned, reason, msg string) {
	setCondition(obj, csv1.ConditionReady, metav1.ConditionTrue, reason, msg)
	removeCondition(obj, csv1.ConditionStalled)
	removeCondition(obj, csv1.ConditionReconciling)
}

// markFailed records a failure: Ready=False, and Stalled=True when the cause
// is terminal (it waits for a change of spec or Secret instead of retrying).
func markFailed(obj conditioned, reason, msg string, stalled bool) {
	setCondition(obj, csv1.ConditionReady, metav1.ConditionFalse, reason, msg)
	removeCondition(obj, csv1.ConditionReconciling)
	if stalled {
		setCondition(obj, csv1.ConditionStalled, metav1.ConditionTrue, reason, msg)
	} else {
		removeCondition(obj, csv1.ConditionStalled)
	}
}

// markReconciling records work under way (kstatus Reconciling=True).
func markReconciling(obj conditioned, reason, msg string) {
	setCondition(obj, csv1.ConditionReconciling, metav1.ConditionTrue, reason, msg)
	if meta.FindStatusCondition(obj.GetConditions(), csv1.ConditionReady) == nil {
		setCondition(obj, csv1.ConditionReady, metav1.ConditionUnknown, reason, msg)
	}
}

// reconcileError is an error with the Ready reason it should be reported
// under and whether it is terminal.
type reconcileError struct {
	Reason  string
	Stalled bool
	Err     error
}

func (e *reconcileError) Error() string { return e.Err.Error() }
func (e *reconcileError) Unwrap() error { return e.Err }

func stalledf(reason, format string, args ...any) error {
	return &reconcileError{Reason: reason, Stalled: true, Err: fmt.Errorf(format, args...)}
}

// classify turns an error into a Ready reason and whether it is terminal.
func classify(err error) (reason string, stalled bool) {
	var re *reconcileError
	if errors.As(err, &re) {
		return re.Reason, re.Stalled
	}
	switch connectors.KindOf(err) {
	case connectors.KindAuth:
		return csv1.ReasonAuthenticationFailed, true
	case connectors.KindNotFound:
		return csv1.ReasonListNotFound, true
	case connectors.KindInvalid:
		return csv1.ReasonInvalidConfig, true
	case connectors.KindRateLimited, connectors.KindQuotaExhausted:
		return csv1.ReasonRateLimited, false
	}
	return csv1.ReasonUnreachable, false
}

// errorMessage renders an error for status. Connector errors never carry
// secrets; this also collapses whitespace so messages read on one line.
func errorMessage(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// recordCheck puts the outcome of a connection's health check into its
// conditions and Events, and says when to check again: at the interval when
// healthy, after the provider's wait when transient, and not at all when
// terminal (a change of the spec or the Secret brings it back).
func recordCheck(rec events.EventRecorder, obj interface {
	conditioned
	client.Object
}, err error, okMessage string, interval time.Duration) ctrl.Result {
	if err == nil {
		markReady(obj, csv1.ReasonSucceeded, okMessage)
		return ctrl.Result{RequeueAfter: interval}
	}
	reason, stalled := classify(err)
	markFailed(obj, reason, errorMessage(err), stalled)
	eventf(rec, obj, true, reason, "Check", "%s", trimMessage(errorMessage(err)))
	if stalled {
		return ctrl.Result{}
	}
	return ctrl.Result{RequeueAfter: retryDelay(err)}
}
