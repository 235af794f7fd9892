package quickbooks

import (
	"encoding/json"
	"fmt"
	"time"
)

// The wire types read what the connector needs of Intuit's JSON (the XSD
// element names). encoding/json matches keys case-insensitively, which also
// reads the gateway's lowercase fault bodies.

// qbTime is an xs:dateTime with an offset ("2015-07-24T10:33:39-07:00").
type qbTime struct{ time.Time }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05"}

func (t *qbTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("dateTime %s is not a string", b)
	}
	if s == "" {
		return nil
	}
	for _, l := range timeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v
			return nil
		}
	}
	return fmt.Errorf("dateTime %q is not in ISO 8601 form", s)
}

type metaData struct {
	CreateTime      qbTime
	LastUpdatedTime qbTime
}

type ref struct {
	Value string `json:"value"`
	Name  string `json:"name"`
}

type address struct {
	Line1, Line2, Line3, Line4, Line5 string
	City                              string
	Country, CountryCode              string
	CountrySubDivisionCode            string
	PostalCode                        string
}

type phone struct{ FreeFormNumber string }

// customer is a Customer entity.
type customer struct {
	Id               string
	SyncToken        string
	MetaData         metaData
	Status           string `json:"status"`
	Title            string
	GivenName        string
	MiddleName       string
	FamilyName       string
	Suffix           string
	CompanyName      string
	DisplayName      string
	Active           *bool
	PrimaryPhone     *phone
	Mobile           *phone
	PrimaryEmailAddr *struct{ Address string }
	BillAddr         *address
	ShipAddr         *address
	Job              *bool
	ParentRef        *ref
	CustomerTypeRef  *ref
}

// transaction is an Invoice, SalesReceipt or RefundReceipt.
type transaction struct {
	Id          string
	SyncToken   string
	MetaData    metaData
	Status      string `json:"status"`
	TxnDate     string
	TotalAmt    float64
	CustomerRef *ref
}

// entities are the lists a QueryResponse may hold.
type entities struct {
	Customer      []customer
	Invoice       []transaction
	SalesReceipt  []transaction
	RefundReceipt []transaction
}

type queryResponse struct {
	QueryResponse struct {
		entities
		StartPosition int `json:"startPosition"`
		MaxResults    int `json:"maxResults"`
		TotalCount    int `json:"totalCount"`
	}
	Time qbTime `json:"time"`
}

type cdcResponse struct {
	CDCResponse []struct {
		QueryResponse []entities
	}
	Time qbTime `json:"time"`
}

type fault struct {
	Fault *struct {
		Error []struct {
			Message string
			Detail  string
			Code    string `json:"code"`
		}
		Type string
	}
}
