package quickbookstest

import (
	"encoding/json"
	"strings"
	"time"
)

// The wire types below follow the XSDs (IntuitBaseTypes.xsd, IntuitNamesTypes.xsd,
// Finance.xsd): the JSON names are the XSD element and attribute names, which
// a test checks against the schema.

// Time is an xs:dateTime as QuickBooks writes it: second resolution with the
// company's UTC offset ("2015-07-24T10:33:39-07:00").
type Time struct{ time.Time }

const timeLayout = "2006-01-02T15:04:05-07:00"

// pacific is the zone QuickBooks companies in the samples use; offsets in
// payloads exercise the client's parsing of non-UTC timestamps.
var pacific = time.FixedZone("PDT", -7*3600)

func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.In(pacific).Format(timeLayout))
}

func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := parseTime(s)
	t.Time = v
	return err
}

// parseTime accepts the dateTime forms QuickBooks documents and clients send.
func parseTime(s string) (time.Time, error) {
	var err error
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05", time.DateOnly} {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// MetaData is ModificationMetaData.
type MetaData struct {
	CreateTime      Time `json:"CreateTime"`
	LastUpdatedTime Time `json:"LastUpdatedTime"`
}

// Ref is a ReferenceType: the value is the element text, name an attribute.
type Ref struct {
	Value string `json:"value"`
	Name  string `json:"name,omitempty"`
}

// EmailAddress, TelephoneNumber and PhysicalAddress are the XSD types of the same names.
type EmailAddress struct {
	Address string `json:"Address,omitempty"`
}

type TelephoneNumber struct {
	FreeFormNumber string `json:"FreeFormNumber,omitempty"`
}

type PhysicalAddress struct {
	Id                     string `json:"Id,omitempty"`
	Line1                  string `json:"Line1,omitempty"`
	Line2                  string `json:"Line2,omitempty"`
	City                   string `json:"City,omitempty"`
	Country                string `json:"Country,omitempty"`
	CountrySubDivisionCode string `json:"CountrySubDivisionCode,omitempty"`
	PostalCode             string `json:"PostalCode,omitempty"`
}

// Entity is what every IntuitEntity carries.
type Entity struct {
	Id        string    `json:"Id"`
	SyncToken string    `json:"SyncToken,omitempty"`
	MetaData  *MetaData `json:"MetaData,omitempty"`
	Domain    string    `json:"domain,omitempty"`
	Sparse    *bool     `json:"sparse,omitempty"`
	// Status is EntityStatusEnum: "Deleted" in CDC for removed objects, "Voided" for voided transactions.
	Status string `json:"status,omitempty"`
}

func (e *Entity) base() *Entity { return e }

// Customer is the Customer entity (NameBase → Customer).
type Customer struct {
	Entity
	Title              string           `json:"Title,omitempty"`
	GivenName          string           `json:"GivenName,omitempty"`
	MiddleName         string           `json:"MiddleName,omitempty"`
	FamilyName         string           `json:"FamilyName,omitempty"`
	Suffix             string           `json:"Suffix,omitempty"`
	FullyQualifiedName string           `json:"FullyQualifiedName,omitempty"`
	CompanyName        string           `json:"CompanyName,omitempty"`
	DisplayName        string           `json:"DisplayName,omitempty"`
	PrintOnCheckName   string           `json:"PrintOnCheckName,omitempty"`
	Active             *bool            `json:"Active,omitempty"`
	PrimaryPhone       *TelephoneNumber `json:"PrimaryPhone,omitempty"`
	Mobile             *TelephoneNumber `json:"Mobile,omitempty"`
	PrimaryEmailAddr   *EmailAddress    `json:"PrimaryEmailAddr,omitempty"`
	Taxable            *bool            `json:"Taxable,omitempty"`
	BillAddr           *PhysicalAddress `json:"BillAddr,omitempty"`
	ShipAddr           *PhysicalAddress `json:"ShipAddr,omitempty"`
	Notes              string           `json:"Notes,omitempty"`
	Job                *bool            `json:"Job,omitempty"`
	BillWithParent     *bool            `json:"BillWithParent,omitempty"`
	ParentRef          *Ref             `json:"ParentRef,omitempty"`
	Level              *int             `json:"Level,omitempty"`
	Balance            *float64         `json:"Balance,omitempty"`
	BalanceWithJobs    *float64         `json:"BalanceWithJobs,omitempty"`
	CurrencyRef        *Ref             `json:"CurrencyRef,omitempty"`
	// PreferredDeliveryMethod is Print, Email or None.
	PreferredDeliveryMethod string `json:"PreferredDeliveryMethod,omitempty"`
}

// IsActive reads Active the way QuickBooks defaults it (absent means active).
func (c *Customer) IsActive() bool { return c.Active == nil || *c.Active }

// Line is a sales line (Line with a SalesItemLineDetail).
type Line struct {
	Id                  string               `json:"Id,omitempty"`
	LineNum             int                  `json:"LineNum,omitempty"`
	Description         string               `json:"Description,omitempty"`
	Amount              float64              `json:"Amount"`
	DetailType          string               `json:"DetailType"`
	SalesItemLineDetail *SalesItemLineDetail `json:"SalesItemLineDetail,omitempty"`
}

type SalesItemLineDetail struct {
	ItemRef *Ref `json:"ItemRef,omitempty"`
}

// Transaction is a SalesTransaction: Invoice, SalesReceipt or RefundReceipt.
type Transaction struct {
	Entity
	DocNumber   string        `json:"DocNumber,omitempty"`
	TxnDate     string        `json:"TxnDate,omitempty"`
	PrivateNote string        `json:"PrivateNote,omitempty"`
	Line        []Line        `json:"Line,omitempty"`
	CustomerRef *Ref          `json:"CustomerRef,omitempty"`
	BillEmail   *EmailAddress `json:"BillEmail,omitempty"`
	TotalAmt    float64       `json:"TotalAmt"`
	Balance     *float64      `json:"Balance,omitempty"`
	CurrencyRef *Ref          `json:"CurrencyRef,omitempty"`
}

// CompanyInfo is the CompanyInfo entity (only what a client reads to name the account).
type CompanyInfo struct {
	Entity
	CompanyName string `json:"CompanyName"`
	LegalName   string `json:"LegalName,omitempty"`
	Country     string `json:"Country,omitempty"`
}

// Entity names, as they appear in queries, CDC and payload keys (case-sensitive).
const (
	EntityCustomer      = "Customer"
	EntityInvoice       = "Invoice"
	EntitySalesReceipt  = "SalesReceipt"
	EntityRefundReceipt = "RefundReceipt"
)

// transactionEntities are the sales transactions the emulator keeps.
var transactionEntities = []string{EntityInvoice, EntitySalesReceipt, EntityRefundReceipt}

func isTransactionEntity(name string) bool {
	for _, e := range transactionEntities {
		if e == name {
			return true
		}
	}
	return false
}

// tombstone is what CDC returns for a deleted object: little more than its Id.
func tombstone(e *Entity) Entity {
	return Entity{Id: e.Id, Status: "Deleted", Domain: "QBO", MetaData: e.MetaData}
}

func boolPtr(b bool) *bool { return &b }

// displayNameKey is how QuickBooks compares display names for uniqueness.
func displayNameKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
