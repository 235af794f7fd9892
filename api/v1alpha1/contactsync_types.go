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

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// InitialSync says which existing source contacts the first run brings over.
// +kubebuilder:validation:Enum=AllActive;NewOnly
type InitialSync string

const (
	// InitialSyncAllActive syncs every active existing contact on the first run.
	InitialSyncAllActive InitialSync = "AllActive"
	// InitialSyncNewOnly starts from now: only contacts created or changed later are synced.
	InitialSyncNewOnly InitialSync = "NewOnly"
)

// ContactsMode says which contacts are synced and where they go.
// +kubebuilder:validation:Enum=SubscribersOnly;AllContacts;SplitBySubscription
type ContactsMode string

const (
	// ContactsSubscribersOnly syncs only contacts who opted in at the source, as Explicit.
	ContactsSubscribersOnly ContactsMode = "SubscribersOnly"
	// ContactsAll syncs every contact with an email; new ones get newContactPermission.
	ContactsAll ContactsMode = "AllContacts"
	// ContactsSplitBySubscription routes new subscribers, new non-subscribers and
	// existing contacts to the lists (or tags) of splitLists.
	ContactsSplitBySubscription ContactsMode = "SplitBySubscription"
)

// Permission is the consent a new target contact is created with.
// +kubebuilder:validation:Enum=Explicit;Implicit;NotSet;Pending
type Permission string

const (
	PermissionExplicit Permission = "Explicit"
	PermissionImplicit Permission = "Implicit"
	PermissionNotSet   Permission = "NotSet"
	PermissionPending  Permission = "Pending"
)

// UpdateExisting says which fields of an existing target contact are updated.
// +kubebuilder:validation:Enum=AllFields;SkipPhoneAndAddress
type UpdateExisting string

const (
	UpdateAllFields           UpdateExisting = "AllFields"
	UpdateSkipPhoneAndAddress UpdateExisting = "SkipPhoneAndAddress"
)

// SegmentPreset names a built-in segment (from the Magento integration).
// +kubebuilder:validation:Enum=AllCustomers;FirstTime;Repeat;Recent;Lapsed
type SegmentPreset string

const (
	// PresetAllCustomers: at least one purchase.
	PresetAllCustomers SegmentPreset = "AllCustomers"
	// PresetFirstTime: exactly one purchase.
	PresetFirstTime SegmentPreset = "FirstTime"
	// PresetRepeat: more than one purchase.
	PresetRepeat SegmentPreset = "Repeat"
	// PresetRecent: a purchase within the last 30 days.
	PresetRecent SegmentPreset = "Recent"
	// PresetLapsed: customers with no purchase within the last 120 days.
	PresetLapsed SegmentPreset = "Lapsed"
)

// SplitLists names the lists (Constant Contact) or tags (Mailchimp) that
// SplitBySubscription routes contacts to.
type SplitLists struct {
	// NewSubscribers receives new contacts who opted in at the source.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	// +required
	NewSubscribers string `json:"newSubscribers"`
	// NewNonSubscribers receives new contacts who did not opt in.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	// +required
	NewNonSubscribers string `json:"newNonSubscribers"`
	// Existing receives contacts that were already in the target.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	// +required
	Existing string `json:"existing"`
}

// FieldMapping writes a source field to a target field, on top of the
// provider pair's defaults.
type FieldMapping struct {
	// From is a canonical contact field (firstName, lastName, company, phone,
	// address.street, address.city, address.region, address.postalCode,
	// address.country, purchases.count, purchases.total, purchases.first,
	// purchases.last) or a source custom field as "custom:<name>".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +required
	From string `json:"from"`
	// To is a target field (firstName, lastName, company, phone, address) or
	// a custom field as "custom:<name>" (a Mailchimp merge field or a
	// Constant Contact custom field, created when missing).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^(firstName|lastName|company|phone|address|custom:[A-Za-z0-9 _-]{1,50})$`
	// +required
	To string `json:"to"`
}

// Segment is a dynamic group of contacts, recomputed on every run: members
// move in and out. It is a Constant Contact list or a Mailchimp tag.
// +kubebuilder:validation:XValidation:rule="has(self.preset) != has(self.when)",message="a segment is either a preset or a name with a when rule, not both and not neither"
// +kubebuilder:validation:XValidation:rule="has(self.preset) || has(self.name)",message="a segment with a when rule needs a name"
type Segment struct {
	// Preset is a built-in segment.
	// +optional
	Preset SegmentPreset `json:"preset,omitempty"`
	// Name of the segment; defaults to the preset's name.
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$`
	// +optional
	Name string `json:"name,omitempty"`
	// When is a CEL expression over the canonical contact, for example
	// "contact.purchases.total > 1000.0".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	When string `json:"when,omitempty"`
	// List is the Constant Contact list or the Mailchimp tag of the
	// segment; defaults to the segment's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	// +optional
	List string `json:"list,omitempty"`
}

// ContactSyncSpec defines what flows from a source to a target, how and how often.
// +kubebuilder:validation:XValidation:rule="self.contacts == 'SplitBySubscription' ? has(self.splitLists) : !has(self.splitLists)",message="splitLists is required with contacts: SplitBySubscription and not allowed otherwise"
// +kubebuilder:validation:XValidation:rule="duration(self.interval) >= duration('1m')",message="interval must be at least 1m"
// +kubebuilder:validation:XValidation:rule="!has(self.fullSyncInterval) || duration(self.fullSyncInterval) == duration('0s') || duration(self.fullSyncInterval) >= duration(self.interval)",message="fullSyncInterval must be 0 (never) or at least the interval"
type ContactSyncSpec struct {
	// SourceRef names the SourceConnection, in the same namespace.
	// +required
	SourceRef LocalObjectReference `json:"sourceRef"`
	// TargetRef names the ListTarget, in the same namespace.
	// +required
	TargetRef LocalObjectReference `json:"targetRef"`

	// Interval between incremental runs (jittered). At least 1m.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +kubebuilder:default="15m"
	// +optional
	Interval metav1.Duration `json:"interval"`
	// FullSyncInterval between full passes, which re-evaluate time-based
	// segments and repair drift. 0 means never.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +kubebuilder:default="24h"
	// +optional
	FullSyncInterval *metav1.Duration `json:"fullSyncInterval,omitempty"`
	// Timeout bounds one run.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +kubebuilder:default="30m"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// Suspend stops scheduling runs; a run under way finishes.
	// +kubebuilder:default=false
	// +optional
	Suspend bool `json:"suspend"`

	// InitialSync says which existing contacts the first run brings over.
	// +kubebuilder:default=AllActive
	// +optional
	InitialSync InitialSync `json:"initialSync,omitempty"`
	// Contacts says which contacts are synced and where they go.
	// +kubebuilder:default=AllContacts
	// +optional
	Contacts ContactsMode `json:"contacts,omitempty"`
	// NewContactPermission is the consent new target contacts get (not used
	// with SubscribersOnly, where new contacts are Explicit).
	// +kubebuilder:default=Implicit
	// +optional
	NewContactPermission Permission `json:"newContactPermission,omitempty"`
	// SplitLists: only with SplitBySubscription, and required there.
	// +optional
	SplitLists *SplitLists `json:"splitLists,omitempty"`
	// UpdateExisting says which fields of existing contacts are updated.
	// +kubebuilder:default=AllFields
	// +optional
	UpdateExisting UpdateExisting `json:"updateExisting,omitempty"`
	// Tags are added to every synced contact.
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=100
	// +listType=set
	// +optional
	Tags []string `json:"tags,omitempty"`
	// FieldMappings on top of the provider pair's defaults.
	// +kubebuilder:validation:MaxItems=50
	// +optional
	FieldMappings []FieldMapping `json:"fieldMappings,omitempty"`
	// Segments are recomputed every run; members move in and out.
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Segments []Segment `json:"segments,omitempty"`
	// MaxContacts caps how many contacts are synced; 0 means no cap.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:default=0
	// +optional
	MaxContacts int64 `json:"maxContacts"`
	// UnsubscribeSync brings target unsubscribes back to sources that can
	// store them (Kibo, Magento).
	// +kubebuilder:default=false
	// +optional
	UnsubscribeSync bool `json:"unsubscribeSync"`
	// DryRun plans only: counts and samples in status, nothing written.
	// +kubebuilder:default=false
	// +optional
	DryRun bool `json:"dryRun"`
}

// RunTrigger says what started a run.
// +kubebuilder:validation:Enum=Schedule;Webhook;Manual;SpecChange
type RunTrigger string

const (
	TriggerSchedule   RunTrigger = "Schedule"
	TriggerWebhook    RunTrigger = "Webhook"
	TriggerManual     RunTrigger = "Manual"
	TriggerSpecChange RunTrigger = "SpecChange"
)

// RunResult is how a run ended.
// +kubebuilder:validation:Enum=Running;Succeeded;PartialSuccess;Failed
type RunResult string

const (
	RunRunning        RunResult = "Running"
	RunSucceeded      RunResult = "Succeeded"
	RunPartialSuccess RunResult = "PartialSuccess"
	RunFailed         RunResult = "Failed"
)

// SkippedCounts counts contacts that were not written, by reason.
type SkippedCounts struct {
	// NoEmail: the source contact has no email address.
	NoEmail int64 `json:"noEmail,omitempty"`
	// InvalidEmail: the address is malformed or the target rejected it (also a per-contact error).
	InvalidEmail int64 `json:"invalidEmail,omitempty"`
	// Inactive: inactive in the source and not in the target (never brought over).
	Inactive int64 `json:"inactive,omitempty"`
	// NotSubscribed: not opted in at the source, with contacts: SubscribersOnly.
	NotSubscribed int64 `json:"notSubscribed,omitempty"`
	// UnsubscribedInTarget: opted out in the target, so never subscribed again.
	UnsubscribedInTarget int64 `json:"unsubscribedInTarget,omitempty"`
	// OverCap: beyond maxContacts.
	OverCap int64 `json:"overCap,omitempty"`
}

// APICalls counts the API requests of a run on each side.
type APICalls struct {
	// Source API requests.
	Source int64 `json:"source,omitempty"`
	// Target API requests.
	Target int64 `json:"target,omitempty"`
}

// RunCounts are the counts of one run.
type RunCounts struct {
	// Fetched: contacts read from the source.
	Fetched int64 `json:"fetched,omitempty"`
	// Created: contacts new to the target.
	Created int64 `json:"created,omitempty"`
	// Updated: existing target contacts changed.
	Updated int64 `json:"updated,omitempty"`
	// Unchanged: already up to date in the target; nothing written.
	Unchanged int64 `json:"unchanged,omitempty"`
	// Unsubscribed: opted out in the target because they opted out at the source.
	Unsubscribed int64 `json:"unsubscribed,omitempty"`
	// Failed: rejected by the target (see recentErrors).
	Failed int64 `json:"failed,omitempty"`
	// Skipped: not written, by reason.
	Skipped SkippedCounts `json:"skipped,omitempty"`
	// APICalls made by the run on each side.
	APICalls APICalls `json:"apiCalls,omitempty"`
	// OptOutsWrittenBack counts target unsubscribes written to the source.
	OptOutsWrittenBack int64 `json:"optOutsWrittenBack,omitempty"`
}

// PlannedChange is one sample change of a dry run.
type PlannedChange struct {
	// Action: Create, Update, Unsubscribe, AddToList, RemoveFromList.
	Action string `json:"action"`
	// Email, masked.
	Email string `json:"email"`
	// Detail, for example the lists or fields concerned.
	// +optional
	Detail string `json:"detail,omitempty"`
}

// RunStatus describes one run.
type RunStatus struct {
	// +optional
	// Trigger: what started the run.
	Trigger RunTrigger `json:"trigger,omitempty"`
	// Full is true for a full pass (not incremental).
	// +optional
	Full bool `json:"full,omitempty"`
	// DryRun is true for a planning run that wrote nothing.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
	// +optional
	// StartTime of the run.
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// +optional
	// CompletionTime of the run; unset while it runs.
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// +optional
	// Result: Running, Succeeded, PartialSuccess or Failed.
	Result RunResult `json:"result,omitempty"`
	// Message explains a failed run.
	// +optional
	Message   string `json:"message,omitempty"`
	RunCounts `json:",inline"`
	// Plan holds up to 20 sample changes of a dry run.
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Plan []PlannedChange `json:"plan,omitempty"`
}

// ContactError is one per-contact error, with the email masked.
type ContactError struct {
	// SourceID of the contact in the source system.
	// +optional
	SourceID string `json:"sourceID,omitempty"`
	// Email, masked (j***@example.com).
	// +optional
	Email string `json:"email,omitempty"`
	// Reason, PascalCase (InvalidEmail, Rejected, ...).
	Reason string `json:"reason"`
	// Message from the engine or the provider.
	// +optional
	Message string `json:"message,omitempty"`
	// Time of the error.
	Time metav1.Time `json:"time"`
}

// UnsubscribeSyncStatus reports reverse sync.
type UnsubscribeSyncStatus struct {
	// Supported is false when the source cannot store opt-outs (QuickBooks, Flipcause).
	Supported bool `json:"supported"`
	// Message explains what is or is not done.
	// +optional
	Message string `json:"message,omitempty"`
	// LastPollTime is the target watermark of the last unsubscribe poll.
	// +optional
	LastPollTime *metav1.Time `json:"lastPollTime,omitempty"`
	// WrittenBack counts opt-outs written to the source since the ContactSync was created.
	// +optional
	WrittenBack int64 `json:"writtenBack,omitempty"`
}

// ContactSyncStatus is the observed state of a ContactSync.
type ContactSyncStatus struct {
	// Conditions: Ready always; Reconciling and Stalled only while true.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ObservedGeneration is the last generation reconciled; -1 before the first.
	// +kubebuilder:default=-1
	// +optional
	ObservedGeneration int64 `json:"observedGeneration"`
	// LastHandledReconcileAt echoes the last handled value of the
	// contactsync.io/requested-at annotation.
	// +optional
	LastHandledReconcileAt string `json:"lastHandledReconcileAt,omitempty"`
	// Cursor is the opaque source watermark; losing it only costs a full resync.
	// +optional
	Cursor string `json:"cursor,omitempty"`
	// CursorGeneration ties the cursor to the spec it was made under; a spec
	// change that alters what is synced starts over.
	// +optional
	CursorSpecHash string `json:"cursorSpecHash,omitempty"`
	// +optional
	// LastSyncTime is when the last run ended, whatever its result.
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`
	// +optional
	// LastSuccessfulSyncTime is when the last successful (or partly successful) run ended.
	LastSuccessfulSyncTime *metav1.Time `json:"lastSuccessfulSyncTime,omitempty"`
	// +optional
	// LastFullSyncTime is when the last full pass started.
	LastFullSyncTime *metav1.Time `json:"lastFullSyncTime,omitempty"`
	// +optional
	// NextSyncTime is when the next scheduled run is due (jittered).
	NextSyncTime *metav1.Time `json:"nextSyncTime,omitempty"`
	// LastRun is the current or last run.
	// +optional
	LastRun *RunStatus `json:"lastRun,omitempty"`
	// History holds the last 10 runs, summaries only.
	// +kubebuilder:validation:MaxItems=10
	// +optional
	History []RunStatus `json:"history,omitempty"`
	// RecentErrors holds the last 20 per-contact errors.
	// +kubebuilder:validation:MaxItems=20
	// +optional
	RecentErrors []ContactError `json:"recentErrors,omitempty"`
	// ContactsInTarget counts the contacts this sync has put, or keeps, in
	// the target list (what maxContacts caps); the list's own member count
	// is in the ListTarget's status.
	// +optional
	ContactsInTarget int64 `json:"contactsInTarget,omitempty"`
	// UnsubscribeSync reports reverse sync.
	// +optional
	UnsubscribeSync *UnsubscribeSyncStatus `json:"unsubscribeSync,omitempty"`
	// TotalSynced counts contacts created or updated since the ContactSync was created.
	// +optional
	TotalSynced int64 `json:"totalSynced,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=csync;cs,categories=contactsync
// +kubebuilder:printcolumn:name="Source",type=string,JSONPath=`.spec.sourceRef.name`
// +kubebuilder:printcolumn:name="Target",type=string,JSONPath=`.spec.targetRef.name`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Suspended",type=boolean,JSONPath=`.spec.suspend`
// +kubebuilder:printcolumn:name="Last Sync",type=date,JSONPath=`.status.lastSyncTime`
// +kubebuilder:printcolumn:name="Synced",type=integer,JSONPath=`.status.contactsInTarget`
// +kubebuilder:printcolumn:name="Failed",type=integer,JSONPath=`.status.lastRun.failed`
// +kubebuilder:printcolumn:name="Created",type=integer,priority=1,JSONPath=`.status.lastRun.created`
// +kubebuilder:printcolumn:name="Updated",type=integer,priority=1,JSONPath=`.status.lastRun.updated`
// +kubebuilder:printcolumn:name="Status",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ContactSync keeps the contacts of a SourceConnection synced into a
// ListTarget: what flows, how, and how often.
type ContactSync struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ContactSyncSpec `json:"spec"`
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status ContactSyncStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ContactSyncList contains a list of ContactSync.
type ContactSyncList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ContactSync `json:"items"`
}

// GetConditions returns the status conditions.
func (in *ContactSync) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions replaces the status conditions.
func (in *ContactSync) SetConditions(c []metav1.Condition) { in.Status.Conditions = c }

func init() {
	SchemeBuilder.Register(&ContactSync{}, &ContactSyncList{})
}
