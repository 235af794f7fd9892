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

// ConstantContactTarget writes contacts into a Constant Contact list.
type ConstantContactTarget struct {
	// List is the list's name or its ID (a UUID).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +required
	List string `json:"list"`
	// CreateIfMissing creates the list by name when it does not exist.
	// +kubebuilder:default=false
	// +optional
	CreateIfMissing bool `json:"createIfMissing,omitempty"`
}

// MailchimpTarget writes contacts into a Mailchimp audience.
type MailchimpTarget struct {
	// Audience is the audience's name or its list ID.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +required
	Audience string `json:"audience"`
}

// ListTargetSpec defines where contacts go.
// +kubebuilder:validation:XValidation:rule="[has(self.constantContact), has(self.mailchimp)].filter(x, x).size() == 1",message="exactly one provider block must be set: constantContact or mailchimp"
type ListTargetSpec struct {
	// ConstantContact list.
	// +optional
	ConstantContact *ConstantContactTarget `json:"constantContact,omitempty"`
	// Mailchimp audience.
	// +optional
	Mailchimp *MailchimpTarget `json:"mailchimp,omitempty"`

	// Endpoint overrides the provider's base URL (sandbox, proxy, emulator),
	// for the API and the OAuth token endpoint alike.
	// +kubebuilder:validation:Pattern=`^(https?://[^\s]+)?$`
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	Endpoint string `json:"endpoint,omitempty"`

	// CredentialsRef names the Secret, in the same namespace, that holds the
	// provider's credentials.
	// +required
	CredentialsRef LocalObjectReference `json:"credentialsRef"`
}

// ListInfo describes the resolved list or audience.
type ListInfo struct {
	// ID of the list or audience.
	// +optional
	ID string `json:"id,omitempty"`
	// Name of the list or audience.
	// +optional
	Name string `json:"name,omitempty"`
	// MemberCount as the provider reports it.
	// +optional
	MemberCount int64 `json:"memberCount,omitempty"`
}

// ListTargetStatus is the observed state of a ListTarget.
type ListTargetStatus struct {
	// Conditions: Ready, and Stalled while a terminal error waits for a fix.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ObservedGeneration is the last generation reconciled; -1 before the first.
	// +kubebuilder:default=-1
	// +optional
	ObservedGeneration int64 `json:"observedGeneration"`
	// Provider is the name of the configured provider block.
	// +optional
	Provider string `json:"provider,omitempty"`
	// List the target resolved to.
	// +optional
	List *ListInfo `json:"list,omitempty"`
	// LastCheckedTime is when the target was last checked.
	// +optional
	LastCheckedTime *metav1.Time `json:"lastCheckedTime,omitempty"`
	// DailyRequestsRemaining is the provider's daily request quota left for
	// this credential, where the provider has one (Constant Contact).
	// +optional
	DailyRequestsRemaining *int64 `json:"dailyRequestsRemaining,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=lt;listtgt,categories=contactsync
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.status.provider`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="List",type=string,JSONPath=`.status.list.name`
// +kubebuilder:printcolumn:name="Members",type=integer,priority=1,JSONPath=`.status.list.memberCount`
// +kubebuilder:printcolumn:name="Status",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ListTarget is an email-marketing list that contacts go to: a Constant
// Contact list or a Mailchimp audience.
type ListTarget struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ListTargetSpec `json:"spec"`
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status ListTargetStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ListTargetList contains a list of ListTarget.
type ListTargetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ListTarget `json:"items"`
}

// ProviderName returns the name of the one provider block that is set, or "".
func (s *ListTargetSpec) ProviderName() string {
	switch {
	case s.ConstantContact != nil:
		return "constantcontact"
	case s.Mailchimp != nil:
		return "mailchimp"
	}
	return ""
}

// GetConditions returns the status conditions.
func (in *ListTarget) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions replaces the status conditions.
func (in *ListTarget) SetConditions(c []metav1.Condition) { in.Status.Conditions = c }

func init() {
	SchemeBuilder.Register(&ListTarget{}, &ListTargetList{})
}
