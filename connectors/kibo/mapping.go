package kibo

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// stamp is a Kibo date that never fails a whole page: a value that does not
// parse is kept as bad, and the account that carries it is still delivered.
type stamp struct {
	time.Time
	raw string
	bad bool
}

func (s *stamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if err := json.Unmarshal(b, &s.raw); err != nil {
		s.raw, s.bad = string(b), true
		return nil
	}
	if s.raw == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", time.DateOnly} {
		if t, err := time.Parse(layout, strings.ToUpper(s.raw)); err == nil {
			s.Time = t.UTC()
			return nil
		}
	}
	s.bad = true
	return nil
}

// account is the part of a CustomerAccount the sync reads.
type account struct {
	ID                    json.Number `json:"id"`
	EmailAddress          string      `json:"emailAddress"`
	UserName              string      `json:"userName"`
	FirstName             string      `json:"firstName"`
	LastName              string      `json:"lastName"`
	IsActive              *bool       `json:"isActive"`
	IsAnonymous           bool        `json:"isAnonymous"`
	AcceptsMarketing      *bool       `json:"acceptsMarketing"`
	CustomerSet           string      `json:"customerSet"`
	CompanyOrOrganization string      `json:"companyOrOrganization"`
	ExternalID            string      `json:"externalId"`
	AccountType           string      `json:"accountType"`
	AuditInfo             struct {
		UpdateDate stamp `json:"updateDate"`
	} `json:"auditInfo"`
	Contacts []struct {
		Email                 string `json:"email"`
		FirstName             string `json:"firstName"`
		LastNameOrSurname     string `json:"lastNameOrSurname"`
		CompanyOrOrganization string `json:"companyOrOrganization"`
		PhoneNumbers          struct {
			Home, Mobile, Work string
		} `json:"phoneNumbers"`
		Address *struct {
			Address1, Address2, Address3, Address4 string
			CityOrTown                             string `json:"cityOrTown"`
			StateOrProvince                        string `json:"stateOrProvince"`
			PostalOrZipCode                        string `json:"postalOrZipCode"`
			CountryCode                            string `json:"countryCode"`
		} `json:"address"`
		Types []struct {
			IsPrimary bool `json:"isPrimary"`
		} `json:"types"`
	} `json:"contacts"`
	Attributes []struct {
		FullyQualifiedName string `json:"fullyQualifiedName"`
		Values             []any  `json:"values"` // strings, numbers or booleans
	} `json:"attributes"`
	Segments []struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"segments"`
	CommerceSummary struct {
		TotalOrderAmount struct {
			Amount float64 `json:"amount"`
		} `json:"totalOrderAmount"`
		OrderCount    int   `json:"orderCount"`
		LastOrderDate stamp `json:"lastOrderDate"`
	} `json:"commerceSummary"`
}

// id is the account ID as the cursor keeps it.
func (a *account) id() string { return a.ID.String() }

// contact maps an account to the canonical contact. The account's own
// fields win; its primary contact (or first one) fills the gaps and gives
// phone and address.
func (a *account) contact() connectors.Contact {
	c := connectors.Contact{
		SourceID: a.id(), Email: a.EmailAddress, FirstName: a.FirstName, LastName: a.LastName,
		Company: a.CompanyOrOrganization, Active: a.IsActive == nil || *a.IsActive,
		Consent: connectors.ConsentUnknown, UpdatedAt: a.AuditInfo.UpdateDate.Time,
	}
	if a.AcceptsMarketing != nil {
		// Opt-in sync: Kibo records the choice both ways.
		c.Consent = connectors.ConsentOptedOut
		if *a.AcceptsMarketing {
			c.Consent = connectors.ConsentSubscribed
		}
	}
	if len(a.Contacts) > 0 {
		p := a.Contacts[0]
		for _, cand := range a.Contacts {
			if len(cand.Types) > 0 && cand.Types[0].IsPrimary {
				p = cand
				break
			}
		}
		c.Email = firstNonEmpty(c.Email, p.Email)
		c.FirstName = firstNonEmpty(c.FirstName, p.FirstName)
		c.LastName = firstNonEmpty(c.LastName, p.LastNameOrSurname)
		c.Company = firstNonEmpty(c.Company, p.CompanyOrOrganization)
		c.Phone = firstNonEmpty(p.PhoneNumbers.Mobile, firstNonEmpty(p.PhoneNumbers.Home, p.PhoneNumbers.Work))
		if ad := p.Address; ad != nil {
			var street []string
			for _, l := range []string{ad.Address1, ad.Address2, ad.Address3, ad.Address4} {
				if l = strings.TrimSpace(l); l != "" {
					street = append(street, l)
				}
			}
			c.Address = connectors.Address{Street: strings.Join(street, ", "), City: ad.CityOrTown,
				Region: ad.StateOrProvince, PostalCode: ad.PostalOrZipCode, Country: ad.CountryCode}
		}
	}
	// commerceSummary: the total is net of refunds. It has no first-order
	// date, so First is known only for a single purchase.
	cs := a.CommerceSummary
	if cs.OrderCount > 0 {
		c.Purchases = connectors.Purchases{Count: cs.OrderCount, Total: cs.TotalOrderAmount.Amount, Last: cs.LastOrderDate.Time}
		if cs.OrderCount == 1 {
			c.Purchases.First = c.Purchases.Last
		}
	}
	for _, s := range a.Segments {
		if n := firstNonEmpty(s.Name, s.Code); n != "" {
			c.Tags = append(c.Tags, n)
		}
	}
	custom := map[string]string{
		"userName": a.UserName, "customerSet": a.CustomerSet, "externalId": a.ExternalID, "accountType": a.AccountType,
	}
	if a.IsAnonymous {
		custom["anonymous"] = "true"
	}
	for _, at := range a.Attributes {
		var vals []string
		for _, v := range at.Values {
			switch v := v.(type) {
			case string:
				vals = append(vals, v)
			case float64:
				vals = append(vals, strconv.FormatFloat(v, 'f', -1, 64))
			case bool:
				vals = append(vals, strconv.FormatBool(v))
			}
		}
		if at.FullyQualifiedName != "" && len(vals) > 0 {
			custom["attribute:"+at.FullyQualifiedName] = strings.Join(vals, ", ")
		}
	}
	for k, v := range custom {
		if v == "" {
			delete(custom, k)
		}
	}
	if len(custom) > 0 {
		c.Custom = custom
	}
	return c
}
