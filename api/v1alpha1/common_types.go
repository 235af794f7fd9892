/*
Copyright 2026 The ContactSync Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

// LocalObjectReference names an object in the same namespace. Nothing in
// ContactSync ever references across namespaces: the namespace is the tenant
// boundary.
type LocalObjectReference struct {
	// Name of the referenced object, in the same namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
}

// Condition types, following kstatus: Ready is always present; Reconciling
// and Stalled are present only while true.
const (
	ConditionReady       = "Ready"
	ConditionReconciling = "Reconciling"
	ConditionStalled     = "Stalled"
)

// Condition reasons. The Event reason of a run is its Ready reason.
const (
	// ReasonSucceeded: the object is healthy and its last check or run succeeded.
	ReasonSucceeded = "Succeeded"
	// ReasonPartialSuccess: the run finished but some contacts failed.
	ReasonPartialSuccess = "PartialSuccess"
	// ReasonProgressing: work is under way.
	ReasonProgressing = "Progressing"
	// ReasonProgressingWithRetry: work is under way after a failure.
	ReasonProgressingWithRetry = "ProgressingWithRetry"
	// ReasonSecretNotFound: the referenced Secret does not exist in the namespace.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonMissingKey: the Secret lacks a key the provider requires.
	ReasonMissingKey = "MissingKey"
	// ReasonAuthenticationFailed: the provider rejected the credentials.
	ReasonAuthenticationFailed = "AuthenticationFailed"
	// ReasonUnreachable: the provider could not be reached or answered with a server error.
	ReasonUnreachable = "Unreachable"
	// ReasonRateLimited: the provider throttled us; the work resumes later.
	ReasonRateLimited = "RateLimited"
	// ReasonListNotFound: the target list or audience does not exist.
	ReasonListNotFound = "ListNotFound"
	// ReasonInvalidConfig: the spec cannot be acted on (for example a segment rule that does not compile).
	ReasonInvalidConfig = "InvalidConfig"
	// ReasonProviderNotSupported: no connector is registered for the provider block.
	ReasonProviderNotSupported = "ProviderNotSupported"
	// ReasonSourceNotFound / ReasonTargetNotFound: a ContactSync references a missing object.
	ReasonSourceNotFound = "SourceNotFound"
	ReasonTargetNotFound = "TargetNotFound"
	// ReasonSourceNotReady / ReasonTargetNotReady: a ContactSync waits for its source or target.
	ReasonSourceNotReady = "SourceNotReady"
	ReasonTargetNotReady = "TargetNotReady"
	// ReasonSuspended: the ContactSync is suspended.
	ReasonSuspended = "Suspended"
	// ReasonSyncFailed: a run failed for a transient cause; the next run resumes.
	ReasonSyncFailed = "SyncFailed"
)

// ReconcileRequestAnnotation asks for a sync now: set it to any new value.
// The handled value is echoed in status.lastHandledReconcileAt.
const ReconcileRequestAnnotation = "contactsync.io/requested-at"
