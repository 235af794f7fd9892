package quickbooks

import (
	"math"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// toContact maps a Customer. QuickBooks has no marketing opt-in: Consent is
// Unknown. Customers cannot be deleted; a merged-away one comes back from CDC
// with status Deleted.
func toContact(c customer) connectors.Contact {
	ct := connectors.Contact{
		SourceID:  c.Id,
		UpdatedAt: c.MetaData.LastUpdatedTime.Time,
		Consent:   connectors.ConsentUnknown,
		Active:    c.Active == nil || *c.Active,
	}
	if strings.EqualFold(c.Status, "Deleted") {
		ct.Deleted, ct.Active = true, false
		return ct
	}
	ct.FirstName, ct.LastName, ct.Company = c.GivenName, c.FamilyName, c.CompanyName
	custom := map[string]string{}
	if c.PrimaryEmailAddr != nil {
		// The UI lets people type several addresses into the one field.
		first, rest := splitEmails(c.PrimaryEmailAddr.Address)
		ct.Email = first
		if len(rest) > 0 {
			custom["otherEmails"] = strings.Join(rest, ",")
		}
	}
	switch {
	case c.PrimaryPhone != nil && c.PrimaryPhone.FreeFormNumber != "":
		ct.Phone = c.PrimaryPhone.FreeFormNumber
	case c.Mobile != nil:
		ct.Phone = c.Mobile.FreeFormNumber
	}
	a := c.BillAddr
	if a == nil || (a.Line1 == "" && a.City == "" && a.PostalCode == "") {
		a = c.ShipAddr
	}
	if a != nil {
		country := a.Country
		if country == "" {
			country = a.CountryCode
		}
		ct.Address = connectors.Address{Street: joinNonEmpty(", ", a.Line1, a.Line2, a.Line3, a.Line4, a.Line5),
			City: a.City, Region: a.CountrySubDivisionCode, PostalCode: a.PostalCode, Country: country}
	}
	if c.DisplayName != "" {
		custom["displayName"] = c.DisplayName
	}
	if c.CustomerTypeRef != nil && c.CustomerTypeRef.Name != "" {
		custom["customerType"] = c.CustomerTypeRef.Name
	}
	if c.Job != nil && *c.Job && c.ParentRef != nil {
		custom["parentId"] = c.ParentRef.Value
	}
	if len(custom) > 0 {
		ct.Custom = custom
	}
	return ct
}

func splitEmails(s string) (string, []string) {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return strings.TrimSpace(s), nil
	}
	return out[0], out[1:]
}

func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}

// Transaction entities read for purchases: sales add, refunds subtract.
const (
	entityInvoice       = "Invoice"
	entitySalesReceipt  = "SalesReceipt"
	entityRefundReceipt = "RefundReceipt"
)

var purchaseEntities = []string{entityInvoice, entitySalesReceipt, entityRefundReceipt}

// tally accumulates purchases by customer ID.
type tally map[string]*connectors.Purchases

// add counts one transaction. Voided and deleted ones count for nothing;
// a refund lowers the total without being a purchase.
func (t tally) add(entity string, tx transaction) {
	if tx.CustomerRef == nil || tx.CustomerRef.Value == "" || strings.EqualFold(tx.Status, "Voided") || strings.EqualFold(tx.Status, "Deleted") {
		return
	}
	p := t[tx.CustomerRef.Value]
	if p == nil {
		p = &connectors.Purchases{}
		t[tx.CustomerRef.Value] = p
	}
	if entity == entityRefundReceipt {
		p.Total = math.Round((p.Total-tx.TotalAmt)*100) / 100
		return
	}
	p.Count++
	p.Total = math.Round((p.Total+tx.TotalAmt)*100) / 100
	date, err := time.Parse(time.DateOnly, tx.TxnDate)
	if err != nil {
		date = tx.MetaData.CreateTime.Time // a missing or odd TxnDate falls back to when it was entered
	}
	if date.IsZero() {
		return
	}
	if p.First.IsZero() || date.Before(p.First) {
		p.First = date
	}
	if date.After(p.Last) {
		p.Last = date
	}
}
