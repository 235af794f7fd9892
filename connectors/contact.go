// Package connectors defines what every provider speaks: the canonical
// Contact, the Source and Target interfaces, the errors the controllers
// classify, and the registry that providers join with one line.
//
// Connectors never talk to the Kubernetes API server: Secrets reach them as
// plain data (Config.Credentials) and rotated tokens leave them through a
// callback (Config.OnTokenRotated).
package connectors

import (
	"strings"
	"time"
)

// Consent is the marketing opt-in a source records for a contact.
type Consent string

const (
	// ConsentSubscribed: the contact opted in at the source.
	ConsentSubscribed Consent = "Subscribed"
	// ConsentNotSubscribed: the source records no opt-in (a donor who did not tick the box).
	ConsentNotSubscribed Consent = "NotSubscribed"
	// ConsentUnknown: the source does not record opt-in (QuickBooks).
	ConsentUnknown Consent = "Unknown"
	// ConsentOptedOut: the source records that the contact does not want
	// marketing (Kibo acceptsMarketing=false, Magento is_subscribed=false:
	// their "opt-in sync"). An existing target contact is unsubscribed; a
	// new one is never created with marketing permission.
	ConsentOptedOut Consent = "OptedOut"
)

// Address is a postal address. Empty fields are unknown.
type Address struct {
	Street     string `json:"street,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country,omitempty"`
}

// IsZero reports whether no field of the address is known.
func (a Address) IsZero() bool { return a == Address{} }

// Purchases summarises what a contact bought (invoices, receipts, orders,
// donations). Refunds arrive as negative amounts and lower the total.
type Purchases struct {
	Count int     `json:"count"`
	Total float64 `json:"total"`
	// First and Last are the dates of the first and the latest purchase; zero when Count is 0.
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
}

// Contact is the canonical contact every source produces and every target
// consumes. Sources fill what they know; empty strings mean unknown, never
// "clear this field".
type Contact struct {
	// SourceID is the contact's ID in the source system.
	SourceID string `json:"sourceID"`
	// Email as the source holds it; the engine trims and lower-cases it.
	Email     string  `json:"email,omitempty"`
	FirstName string  `json:"firstName,omitempty"`
	LastName  string  `json:"lastName,omitempty"`
	Company   string  `json:"company,omitempty"`
	Phone     string  `json:"phone,omitempty"`
	Address   Address `json:"address,omitzero"`
	// Active is false for contacts the source has deactivated.
	Active bool `json:"active"`
	// Consent is the source's marketing opt-in.
	Consent Consent `json:"consent,omitempty"`
	// Purchases of the contact, for segments.
	Purchases Purchases `json:"purchases,omitzero"`
	// Tags the source attaches (customer groups, campaigns).
	Tags []string `json:"tags,omitempty"`
	// Custom holds source fields outside the canonical set, by name.
	Custom map[string]string `json:"custom,omitempty"`
	// UpdatedAt is the source's last-modified time of the contact.
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
	// Deleted is true when the source deleted the contact (or merged it away).
	Deleted bool `json:"deleted,omitempty"`
}

// NormalizeEmail trims an address and lower-cases it: the identity of a
// contact in every target.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// MaskEmail hides all but the first character of the local part, so status,
// events and logs never carry a full address: "jane@example.com" → "j***@example.com".
func MaskEmail(email string) string {
	email = strings.TrimSpace(email)
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		if email == "" {
			return ""
		}
		return "***"
	}
	r := []rune(email[:at])
	return string(r[0]) + "***" + email[at:]
}
