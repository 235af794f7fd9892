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

// QuickBooksSource reads customers, invoices and sales receipts from a
// QuickBooks Online company.
type QuickBooksSource struct {
	// RealmID is the QuickBooks company ID.
	// +kubebuilder:validation:Pattern=`^[0-9]{1,32}$`
	// +required
	RealmID string `json:"realmID"`
	// Environment selects the production or the sandbox API host.
	// +kubebuilder:validation:Enum=production;sandbox
	// +kubebuilder:default=production
	// +optional
	Environment string `json:"environment,omitempty"`
}

// MagentoSource reads customers and orders from a Magento 2 / Adobe Commerce store.
type MagentoSource struct {
	// BaseURL of the store, for example https://shop.example.com.
	// +kubebuilder:validation:Pattern=`^https?://[^\s]+$`
	// +kubebuilder:validation:MaxLength=2048
	// +required
	BaseURL string `json:"baseURL"`
	// StoreCode is the store view in REST paths (/rest/<storeCode>/V1/...).
	// +kubebuilder:validation:Pattern=`^[a-z0-9_]{1,32}$`
	// +kubebuilder:default=default
	// +optional
	StoreCode string `json:"storeCode,omitempty"`
}

// KiboSource reads customer accounts from a Kibo eCommerce tenant and site.
type KiboSource struct {
	// TenantID of the Kibo tenant.
	// +kubebuilder:validation:Minimum=1
	// +required
	TenantID int64 `json:"tenantID"`
	// SiteID of the Kibo site.
	// +kubebuilder:validation:Minimum=1
	// +required
	SiteID int64 `json:"siteID"`
}

// FlipcauseSource receives donors and transactions by webhook: Flipcause
// offers no API to read them, so contacts arrive only when Flipcause pushes.
type FlipcauseSource struct{}

// SourceConnectionSpec defines where contacts come from.
// +kubebuilder:validation:XValidation:rule="[has(self.quickbooks), has(self.magento), has(self.kibo), has(self.flipcause)].filter(x, x).size() == 1",message="exactly one provider block must be set: quickbooks, magento, kibo or flipcause"
type SourceConnectionSpec struct {
	// QuickBooks Online.
	// +optional
	QuickBooks *QuickBooksSource `json:"quickbooks,omitempty"`
	// Magento 2 / Adobe Commerce.
	// +optional
	Magento *MagentoSource `json:"magento,omitempty"`
	// Kibo eCommerce.
	// +optional
	Kibo *KiboSource `json:"kibo,omitempty"`
	// Flipcause (push only: contacts arrive by webhook).
	// +optional
	Flipcause *FlipcauseSource `json:"flipcause,omitempty"`

	// Endpoint overrides the provider's base URL (sandbox, proxy, emulator).
	// It replaces every host of the provider: API, OAuth token and auth
	// tickets, so an emulator serves them all under one base URL.
	// +kubebuilder:validation:Pattern=`^(https?://[^\s]+)?$`
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	Endpoint string `json:"endpoint,omitempty"`

	// CredentialsRef names the Secret, in the same namespace, that holds the
	// provider's credentials (keys are listed in the provider docs).
	// +required
	CredentialsRef LocalObjectReference `json:"credentialsRef"`
}

// AccountInfo identifies the account a connection reaches.
type AccountInfo struct {
	// ID of the account (realm, tenant, store).
	// +optional
	ID string `json:"id,omitempty"`
	// Name of the account, as the provider reports it.
	// +optional
	Name string `json:"name,omitempty"`
}

// SourceConnectionStatus is the observed state of a SourceConnection.
type SourceConnectionStatus struct {
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
	// Account the credentials reach.
	// +optional
	Account *AccountInfo `json:"account,omitempty"`
	// LastCheckedTime is when the connection was last checked.
	// +optional
	LastCheckedTime *metav1.Time `json:"lastCheckedTime,omitempty"`
	// OptOutWriteBack says whether the source can store opt-outs that are
	// brought back from targets (reverse sync).
	// +optional
	OptOutWriteBack bool `json:"optOutWriteBack,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=srcconn;scn,categories=contactsync
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.status.provider`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Account",type=string,JSONPath=`.status.account.name`
// +kubebuilder:printcolumn:name="Status",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// SourceConnection is a business system that contacts come from: QuickBooks
// Online, Magento 2, Kibo eCommerce or Flipcause.
type SourceConnection struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec SourceConnectionSpec `json:"spec"`
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status SourceConnectionStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// SourceConnectionList contains a list of SourceConnection.
type SourceConnectionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []SourceConnection `json:"items"`
}

// ProviderName returns the name of the one provider block that is set, or "".
func (s *SourceConnectionSpec) ProviderName() string {
	switch {
	case s.QuickBooks != nil:
		return "quickbooks"
	case s.Magento != nil:
		return "magento"
	case s.Kibo != nil:
		return "kibo"
	case s.Flipcause != nil:
		return "flipcause"
	}
	return ""
}

// GetConditions returns the status conditions.
func (in *SourceConnection) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions replaces the status conditions.
func (in *SourceConnection) SetConditions(c []metav1.Condition) { in.Status.Conditions = c }

func init() {
	SchemeBuilder.Register(&SourceConnection{}, &SourceConnectionList{})
}
