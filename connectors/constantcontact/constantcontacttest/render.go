package constantcontacttest

import "time"

// JSON shapes of the spec's contact resource (getContactById_200_response).

type emailJSON struct {
	Address          string `json:"address"`
	PermissionToSend string `json:"permission_to_send"`
	CreatedAt        string `json:"created_at,omitempty"`
	UpdatedAt        string `json:"updated_at,omitempty"`
	OptInSource      string `json:"opt_in_source,omitempty"`
	OptInDate        string `json:"opt_in_date,omitempty"`
	OptOutSource     string `json:"opt_out_source,omitempty"`
	OptOutDate       string `json:"opt_out_date,omitempty"`
	OptOutReason     string `json:"opt_out_reason,omitempty"`
	ConfirmStatus    string `json:"confirm_status,omitempty"`
}

type customValueJSON struct {
	CustomFieldID string `json:"custom_field_id"`
	Value         string `json:"value"`
}

type phoneJSON struct {
	PhoneNumberID string `json:"phone_number_id,omitempty"`
	PhoneNumber   string `json:"phone_number"`
	Kind          string `json:"kind"`
}

type addressJSON struct {
	StreetAddressID string `json:"street_address_id,omitempty"`
	Kind            string `json:"kind"`
	Street          string `json:"street,omitempty"`
	City            string `json:"city,omitempty"`
	State           string `json:"state,omitempty"`
	PostalCode      string `json:"postal_code,omitempty"`
	Country         string `json:"country,omitempty"`
}

// contactJSON renders sub-resources only when included; a pointer to an
// empty slice renders [] so "included but none" differs from "not asked".
type contactJSON struct {
	ContactID       string             `json:"contact_id"`
	EmailAddress    *emailJSON         `json:"email_address,omitempty"`
	FirstName       string             `json:"first_name,omitempty"`
	LastName        string             `json:"last_name,omitempty"`
	JobTitle        string             `json:"job_title,omitempty"`
	CompanyName     string             `json:"company_name,omitempty"`
	CreateSource    string             `json:"create_source,omitempty"`
	UpdateSource    string             `json:"update_source,omitempty"`
	CreatedAt       string             `json:"created_at"`
	UpdatedAt       string             `json:"updated_at"`
	DeletedAt       string             `json:"deleted_at,omitempty"`
	CustomFields    *[]customValueJSON `json:"custom_fields,omitempty"`
	PhoneNumbers    *[]phoneJSON       `json:"phone_numbers,omitempty"`
	StreetAddresses *[]addressJSON     `json:"street_addresses,omitempty"`
	ListMemberships *[]string          `json:"list_memberships,omitempty"`
	Taggings        *[]string          `json:"taggings,omitempty"`
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func tsp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return ts(*t)
}

// render builds a contact's JSON with the sub-resources in inc.
func (c *contact) render(inc map[string]bool) contactJSON {
	out := contactJSON{ContactID: c.id, FirstName: c.first, LastName: c.last, JobTitle: c.job, CompanyName: c.company,
		CreateSource: c.createSource, UpdateSource: c.updateSource, CreatedAt: ts(c.created), UpdatedAt: ts(c.updated)}
	if c.deleted != nil {
		out.DeletedAt = c.deleted.UTC().Format(time.DateOnly)
	}
	if c.email != "" {
		out.EmailAddress = &emailJSON{Address: c.email, PermissionToSend: c.permission, CreatedAt: ts(c.created),
			UpdatedAt: ts(c.emailTime), OptInSource: c.optInSource, OptInDate: tsp(c.optInDate),
			OptOutSource: c.optOutSource, OptOutDate: tsp(c.optOutDate), OptOutReason: c.optOutReason,
			ConfirmStatus: c.confirmStatus}
	}
	if inc["custom_fields"] {
		cf := make([]customValueJSON, 0, len(c.custom))
		for id, v := range c.custom {
			cf = append(cf, customValueJSON{CustomFieldID: id, Value: v})
		}
		out.CustomFields = &cf
	}
	if inc["phone_numbers"] {
		ph := make([]phoneJSON, 0, len(c.phones))
		for _, p := range c.phones {
			ph = append(ph, phoneJSON{PhoneNumber: p.number, Kind: p.kind})
		}
		out.PhoneNumbers = &ph
	}
	if inc["street_addresses"] {
		ad := make([]addressJSON, 0, len(c.addresses))
		for _, a := range c.addresses {
			ad = append(ad, addressJSON{Kind: a.kind, Street: a.street, City: a.city, State: a.state,
				PostalCode: a.postalCode, Country: a.country})
		}
		out.StreetAddresses = &ad
	}
	if inc["list_memberships"] {
		l := append([]string{}, c.lists...)
		out.ListMemberships = &l
	}
	if inc["taggings"] {
		t := append([]string{}, c.tags...)
		out.Taggings = &t
	}
	return out
}

var allIncludes = map[string]bool{"custom_fields": true, "phone_numbers": true, "street_addresses": true,
	"list_memberships": true, "taggings": true}
