package flipcause

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// Field names of a webhook record. Flipcause's documentation shows the
// AD_ (activity) and PD_ (personal) namespaces and string-typed values; the
// PD_ names below follow its CSV export columns (research/sources.md §4).
const (
	fRecordID    = "webhook_record_id"
	fActivity    = "activity_type"
	fTransaction = "transaction_id"
	fContactID   = "AD_contact_id"
	fDate        = "AD_transaction_date"
	fTime        = "AD_transaction_time"
	fCampaign    = "AD_campaign_title"
	fKind        = "PD_individual_or_bussiness" // sic: Flipcause's spelling
	fFirst       = "PD_first_name"
	fLast        = "PD_last_name"
	fEmail       = "PD_email"
	fPhone       = "PD_phone"
	fBusiness    = "PD_business_name"
	fStreet      = "PD_address"
	fCity        = "PD_city"
	fState       = "PD_state"
	fZip         = "PD_zip"
	fCountry     = "PD_country"
)

// triggerTransaction is the order-level record type that carries amounts.
const triggerTransaction = "new_transaction"

// amountFields hold a transaction's amount in a new_transaction record.
var amountFields = []string{"transaction_amount", "AD_transaction_amount", "DD_amount"}

// cidPattern finds the CID inside a display string like "Todd Test (CID638-1000015)".
var cidPattern = regexp.MustCompile(`\((CID[0-9A-Za-z-]+)\)`)

type record map[string]string

// decodeBatch reads one record or a batch (a JSON array) of records. Values
// are strings in Flipcause's payloads; numbers and booleans are kept as text.
func decodeBatch(body []byte) ([]record, error) {
	body = bytes.TrimSpace(body)
	var raws []map[string]any
	switch {
	case len(body) == 0:
		return nil, fmt.Errorf("webhook body is empty")
	case body[0] == '[':
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, fmt.Errorf("webhook body is not a JSON array of records: %w", err)
		}
	default:
		var one map[string]any
		if err := json.Unmarshal(body, &one); err != nil {
			return nil, fmt.Errorf("webhook body is not a JSON record: %w", err)
		}
		raws = []map[string]any{one}
	}
	out := make([]record, 0, len(raws))
	for i, raw := range raws {
		if raw == nil {
			return nil, fmt.Errorf("webhook record %d is not a JSON object", i)
		}
		rec := make(record, len(raw))
		for k, v := range raw {
			switch v := v.(type) {
			case string:
				rec[k] = strings.TrimSpace(v)
			case float64, bool:
				rec[k] = fmt.Sprint(v)
			}
		}
		out = append(out, rec)
	}
	return out, nil
}

type skip struct{ id, reason string }

type donor struct {
	contact      connectors.Contact
	transactions map[string]bool
}

// aggregate merges the records of a batch into one contact per donor, with
// the purchases the batch reports. A transaction yields several new_activity
// records and one new_transaction record, and batches may split them: so
// amounts are read from new_transaction records only (configure that
// trigger in Flipcause), which keeps totals right however records are
// batched. Deliveries repeat: records count once by webhook_record_id and
// transactions once by transaction_id. A refund is a new transaction whose
// amount lowers the total.
func aggregate(records []record) ([]connectors.Contact, []skip) {
	var (
		order   []string
		donors  = map[string]*donor{}
		seen    = map[string]bool{}
		skipped []skip
	)
	for i, rec := range records {
		id := rec[fRecordID]
		if id == "" {
			id = "#" + strconv.Itoa(i)
		} else if seen[id] {
			continue
		}
		seen[id] = true
		key, sourceID := donorKey(rec)
		if key == "" {
			skipped = append(skipped, skip{id, "no " + fContactID + " CID and no " + fEmail})
			continue
		}
		d := donors[key]
		if d == nil {
			d = &donor{contact: connectors.Contact{SourceID: sourceID, Active: true, Consent: connectors.ConsentUnknown}, transactions: map[string]bool{}}
			donors[key] = d
			order = append(order, key)
		}
		if err := d.add(rec); err != nil {
			skipped = append(skipped, skip{id, err.Error()})
		}
	}
	out := make([]connectors.Contact, 0, len(order))
	for _, k := range order {
		out = append(out, donors[k].contact)
	}
	return out, skipped
}

// donorKey identifies the donor: Flipcause's CID, else the email.
func donorKey(rec record) (key, sourceID string) {
	if m := cidPattern.FindStringSubmatch(rec[fContactID]); m != nil {
		return "cid:" + m[1], m[1]
	}
	if e := connectors.NormalizeEmail(rec[fEmail]); e != "" {
		return "email:" + e, "email:" + e
	}
	return "", ""
}

func (d *donor) add(rec record) error {
	c := &d.contact
	set := func(dst *string, field string) {
		if v := rec[field]; v != "" {
			*dst = v
		}
	}
	set(&c.Email, fEmail)
	set(&c.FirstName, fFirst)
	set(&c.LastName, fLast)
	set(&c.Phone, fPhone)
	set(&c.Company, fBusiness)
	set(&c.Address.Street, fStreet)
	set(&c.Address.City, fCity)
	set(&c.Address.Region, fState)
	set(&c.Address.PostalCode, fZip)
	set(&c.Address.Country, fCountry)
	for _, f := range [][2]string{{"campaign", fCampaign}, {"individualOrBusiness", fKind}} {
		if v := rec[f[1]]; v != "" {
			if c.Custom == nil {
				c.Custom = map[string]string{}
			}
			c.Custom[f[0]] = v
		}
	}
	activity := strings.ToLower(rec[fActivity])
	if strings.Contains(activity, "mailing list") {
		// Flipcause's own list integrations treat a Mailing List sign-up as explicit opt-in.
		c.Consent = connectors.ConsentSubscribed
	}
	when, err := recordTime(rec)
	if err != nil {
		return err
	}
	if when.After(c.UpdatedAt) {
		c.UpdatedAt = when
	}
	tx := rec[fTransaction]
	if rec["webhook_trigger_type"] != triggerTransaction {
		return nil
	}
	amount, ok, err := recordAmount(rec)
	if err != nil || !ok || tx == "" || d.transactions[tx] {
		return err
	}
	d.transactions[tx] = true
	if strings.Contains(activity, "refund") {
		c.Purchases.Total -= abs(amount)
		return nil
	}
	if amount == 0 {
		return nil
	}
	p := &c.Purchases
	p.Count++
	p.Total += amount
	if !when.IsZero() {
		if p.First.IsZero() || when.Before(p.First) {
			p.First = when
		}
		if when.After(p.Last) {
			p.Last = when
		}
	}
	return nil
}

// recordTime reads AD_transaction_date ("2021-04-01") and the optional
// AD_transaction_time ("02:04 ", trailing space and all), as UTC: Flipcause
// states no zone.
func recordTime(rec record) (time.Time, error) {
	d := rec[fDate]
	if d == "" {
		return time.Time{}, nil
	}
	if t := rec[fTime]; t != "" {
		if v, err := time.Parse("2006-01-02 15:04", d+" "+t); err == nil {
			return v, nil
		}
	}
	v, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not a date (YYYY-MM-DD)", fDate, d)
	}
	return v, nil
}

// recordAmount reads the first amount field present ("25.00", "$1,250.00").
func recordAmount(rec record) (float64, bool, error) {
	for _, f := range amountFields {
		v := rec[f]
		if v == "" {
			continue
		}
		clean := strings.NewReplacer("$", "", ",", "", " ", "").Replace(v)
		n, err := strconv.ParseFloat(clean, 64)
		if err != nil {
			return 0, false, fmt.Errorf("%s %q is not an amount", f, v)
		}
		return n, true, nil
	}
	return 0, false, nil
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
