package connectors

import (
	"context"
	"net/http"
	"time"
)

// Account identifies what a source connection reaches.
type Account struct {
	ID   string
	Name string
}

// Page is one page of contacts from a source.
type Page struct {
	// Contacts of the page, in source order. They carry their purchases.
	Contacts []Contact
	// Cursor resumes the stream after this page: once every contact of the
	// page is written or recorded as failed, the engine checkpoints it.
	Cursor string
}

// Source streams contacts from a business system.
type Source interface {
	// Check verifies credentials and reachability and names the account.
	Check(ctx context.Context) (Account, error)
	// Changes calls fn with each page of contacts changed after cursor, in
	// order; cursor "" means every contact (a first sync or a full pass).
	// Contacts whose purchases changed are included, with their purchases.
	// An error from fn stops the stream and is returned. Sources that only
	// receive pushes (Flipcause) return at once.
	Changes(ctx context.Context, cursor string, fn func(Page) error) error
}

// StartCursorer is implemented by sources that can start from "now", for
// ContactSyncs with initialSync: NewOnly.
type StartCursorer interface {
	// CursorNow returns a cursor that skips every existing contact.
	CursorNow(ctx context.Context) (string, error)
}

// OptOutWriter is implemented by sources that store marketing opt-in
// (Kibo acceptsMarketing, Magento is_subscribed): reverse sync writes target
// unsubscribes back through it.
type OptOutWriter interface {
	// WriteOptOut marks every source contact with this email as opted out.
	// It returns the number of source records changed (0 when none matched).
	WriteOptOut(ctx context.Context, email string) (int, error)
}

// MemberStatus is the consent state of a contact in a target, in neutral terms.
type MemberStatus string

const (
	// MemberSubscribed: may be sent marketing (Mailchimp subscribed; CC explicit or implicit).
	MemberSubscribed MemberStatus = "Subscribed"
	// MemberPending: awaiting double opt-in confirmation.
	MemberPending MemberStatus = "Pending"
	// MemberNotSubscribed: known but without marketing permission (Mailchimp transactional; CC not_set).
	MemberNotSubscribed MemberStatus = "NotSubscribed"
	// MemberOptedOut: unsubscribed, cleaned, forgotten or in a compliance
	// state. The engine never subscribes such a contact again.
	MemberOptedOut MemberStatus = "OptedOut"
)

// TargetContact is what a target knows of one contact.
type TargetContact struct {
	// ID in the target (Mailchimp subscriber hash, Constant Contact contact_id).
	ID     string
	Email  string
	Status MemberStatus
	// InList is true when the contact is a member of the ListTarget's list
	// (always true for a Mailchimp audience member).
	InList    bool
	FirstName string
	LastName  string
	Company   string
	Phone     string
	Address   Address
	// Custom holds the custom fields (merge fields) the target reported, by
	// the names used in Write.Custom.
	Custom map[string]string
	// Groups are the names of the groups (Constant Contact lists other than
	// the main one, or Mailchimp tags) the contact belongs to.
	Groups []string
	// Tags are the Constant Contact tags (for Mailchimp, tags are groups too).
	Tags []string
}

// Permission is the consent a new target contact is created with.
type Permission string

const (
	PermissionExplicit Permission = "Explicit"
	PermissionImplicit Permission = "Implicit"
	PermissionNotSet   Permission = "NotSet"
	PermissionPending  Permission = "Pending"
)

// Write is one contact to create or update in a target.
type Write struct {
	// Email is the normalised identity.
	Email string
	// ID is the target's ID of an existing contact ("" for new ones).
	ID string
	// Create is true for a contact the target does not have yet; it is
	// created with Permission and added to the main list.
	Create     bool
	Permission Permission
	// AddToList adds an existing contact to the ListTarget's list (it is in
	// the account but not in that list); its permission is left as it is.
	AddToList bool
	// Unsubscribe opts an existing contact out (a source-side opt-out).
	Unsubscribe bool
	// Fields to write; empty strings are left as they are in the target.
	FirstName string
	LastName  string
	Company   string
	Phone     string
	Address   Address
	// Custom fields by name (created in the target when missing).
	Custom map[string]string
	// Tags to add (static tags of the ContactSync).
	Tags []string
	// AddGroups and RemoveGroups change group membership (Constant Contact
	// lists, Mailchimp tags): segments and split lists.
	AddGroups    []string
	RemoveGroups []string
}

// Outcome is what a target did with one Write.
type Outcome string

const (
	OutcomeCreated      Outcome = "Created"
	OutcomeUpdated      Outcome = "Updated"
	OutcomeUnsubscribed Outcome = "Unsubscribed"
	// OutcomeOptedOut: the target refused because the contact is opted out
	// (Mailchimp "Member In Compliance State"); counted as skipped, not failed.
	OutcomeOptedOut Outcome = "OptedOut"
	// OutcomeInvalidEmail: the target rejected the address as fake or invalid.
	OutcomeInvalidEmail Outcome = "InvalidEmail"
	// OutcomeFailed: the target rejected the contact for another reason.
	OutcomeFailed Outcome = "Failed"
)

// Result is the outcome of one Write.
type Result struct {
	Email   string
	Outcome Outcome
	// ID of the contact in the target, when known.
	ID string
	// Message is the target's explanation for InvalidEmail and Failed.
	Message string
}

// Limits are a target's or source's declared maxima and the limits of its
// API per credential.
type Limits struct {
	// MaxBatch is the most writes per Upsert call (Mailchimp 500).
	MaxBatch int
	// MaxLookup is the most emails per Lookup call.
	MaxLookup int
	// Concurrency is the most requests in flight per credential (0: no limit).
	Concurrency int
	// RequestsPerSecond per credential (0: no limit) and its Burst.
	RequestsPerSecond float64
	Burst             int
	// DailyRequests per credential (0: no limit).
	DailyRequests int
}

// ListInfo describes the list or audience a target writes to.
type ListInfo struct {
	ID          string
	Name        string
	MemberCount int64
}

// Target writes contacts into an email-marketing list.
type Target interface {
	// Check verifies credentials, resolves the list (creating it when the
	// spec says so) and describes it. A missing list is a KindNotFound error.
	Check(ctx context.Context) (ListInfo, error)
	// Limits declares batch sizes and per-credential API limits.
	Limits() Limits
	// Lookup returns what the target knows of these emails (normalised), in
	// as few calls as the API allows. Emails the target does not have are
	// absent from the map.
	Lookup(ctx context.Context, emails []string) (map[string]TargetContact, error)
	// Upsert applies at most Limits().MaxBatch writes and returns a Result
	// for each, in any order. A non-nil error means the batch as a whole did
	// not go through (it may be retried: writes are upserts by email).
	Upsert(ctx context.Context, writes []Write) ([]Result, error)
}

// Unsubscribe is a contact that opted out in a target.
type Unsubscribe struct {
	Email string
	At    time.Time
}

// UnsubscribeReader is implemented by targets whose unsubscribes can be
// polled, for reverse sync.
type UnsubscribeReader interface {
	// Unsubscribes calls fn with pages of contacts that opted out after since
	// and returns the watermark to poll from next time.
	Unsubscribes(ctx context.Context, since time.Time, fn func([]Unsubscribe) error) (time.Time, error)
}

// WebhookEvent is what a verified webhook says.
type WebhookEvent struct {
	// Accounts named by the payload (QuickBooks realm IDs, Kibo tenant IDs):
	// their ContactSyncs should run now.
	Accounts []string
	// Contacts pushed with their data (Flipcause): written through at once.
	Contacts []Contact
	// Unsubscribes reported by a target (Mailchimp webhooks).
	Unsubscribes []Unsubscribe
}

// WebhookReceiver is implemented by connectors that accept webhooks. The
// receiver routes a request to a connection, then asks its connector to
// verify and parse it with the connection's own credentials.
type WebhookReceiver interface {
	// VerifyWebhook checks the request's signature or secret token. body is
	// the raw body; the request's body has already been read.
	VerifyWebhook(r *http.Request, body []byte) error
	// ParseWebhook turns a verified body into an event.
	ParseWebhook(r *http.Request, body []byte) (WebhookEvent, error)
}
