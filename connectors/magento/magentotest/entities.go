package magentotest

import (
	"strconv"
	"time"
)

// TimeLayout is Magento's timestamp format: UTC, no zone.
const TimeLayout = "2006-01-02 15:04:05"

// Customer is customer-data-customer-interface, as the REST API writes it.
type Customer struct {
	ID                     int64              `json:"id,omitempty"`
	GroupID                int                `json:"group_id"`
	DefaultBilling         string             `json:"default_billing,omitempty"`
	DefaultShipping        string             `json:"default_shipping,omitempty"`
	Confirmation           string             `json:"confirmation,omitempty"`
	CreatedAt              string             `json:"created_at,omitempty"`
	UpdatedAt              string             `json:"updated_at,omitempty"`
	CreatedIn              string             `json:"created_in,omitempty"`
	Email                  string             `json:"email"`
	Firstname              string             `json:"firstname"`
	Lastname               string             `json:"lastname"`
	StoreID                int                `json:"store_id"`
	WebsiteID              int                `json:"website_id"`
	Addresses              []Address          `json:"addresses,omitempty"`
	DisableAutoGroupChange int                `json:"disable_auto_group_change"`
	ExtensionAttributes    *CustomerExtension `json:"extension_attributes,omitempty"`
}

// CustomerExtension holds is_subscribed (newsletter_subscriber).
type CustomerExtension struct {
	IsSubscribed *bool `json:"is_subscribed,omitempty"`
}

// Address is customer-data-address-interface.
type Address struct {
	ID              int64    `json:"id,omitempty"`
	CustomerID      int64    `json:"customer_id,omitempty"`
	Region          *Region  `json:"region,omitempty"`
	RegionID        int      `json:"region_id,omitempty"`
	CountryID       string   `json:"country_id,omitempty"`
	Street          []string `json:"street,omitempty"`
	Company         string   `json:"company,omitempty"`
	Telephone       string   `json:"telephone,omitempty"`
	Postcode        string   `json:"postcode,omitempty"`
	City            string   `json:"city,omitempty"`
	Firstname       string   `json:"firstname,omitempty"`
	Lastname        string   `json:"lastname,omitempty"`
	DefaultShipping bool     `json:"default_shipping,omitempty"`
	DefaultBilling  bool     `json:"default_billing,omitempty"`
}

// Region is customer-data-region-interface.
type Region struct {
	RegionCode string `json:"region_code"`
	Region     string `json:"region"`
	RegionID   int    `json:"region_id"`
}

// customerRow is a stored customer plus its newsletter subscription, which
// Magento keeps in another table (newsletter_subscriber).
type customerRow struct {
	c          Customer
	subscribed bool
}

func (r *customerRow) id() int64 { return r.c.ID }

func (r *customerRow) field(name string) (string, bool, bool) {
	c := &r.c
	switch name {
	case "entity_id", "id":
		return strconv.FormatInt(c.ID, 10), true, true
	case "email":
		return c.Email, false, true
	case "firstname":
		return c.Firstname, false, true
	case "lastname":
		return c.Lastname, false, true
	case "created_at":
		return c.CreatedAt, false, true
	case "updated_at":
		return c.UpdatedAt, false, true
	case "group_id":
		return strconv.Itoa(c.GroupID), true, true
	case "store_id":
		return strconv.Itoa(c.StoreID), true, true
	case "website_id":
		return strconv.Itoa(c.WebsiteID), true, true
	case "confirmation":
		return c.Confirmation, false, true
	}
	return "", false, false
}

// Order is the part of sales-data-order-interface the emulator keeps.
type Order struct {
	EntityID          int64       `json:"entity_id"`
	IncrementID       string      `json:"increment_id"`
	CustomerID        *int64      `json:"customer_id,omitempty"`
	CustomerEmail     string      `json:"customer_email"`
	CustomerFirstname string      `json:"customer_firstname,omitempty"`
	CustomerLastname  string      `json:"customer_lastname,omitempty"`
	CustomerIsGuest   int         `json:"customer_is_guest"`
	CreatedAt         string      `json:"created_at"`
	UpdatedAt         string      `json:"updated_at"`
	GrandTotal        float64     `json:"grand_total"`
	BaseGrandTotal    float64     `json:"base_grand_total"`
	TotalPaid         float64     `json:"total_paid"`
	TotalRefunded     float64     `json:"total_refunded,omitempty"`
	BaseTotalRefunded float64     `json:"base_total_refunded,omitempty"`
	State             string      `json:"state"`
	Status            string      `json:"status"`
	StoreID           int         `json:"store_id"`
	OrderCurrencyCode string      `json:"order_currency_code"`
	Items             []OrderItem `json:"items"`
}

// OrderItem is sales-data-order-item-interface (sku is required).
type OrderItem struct {
	ItemID     int64   `json:"item_id,omitempty"`
	SKU        string  `json:"sku"`
	Name       string  `json:"name,omitempty"`
	QtyOrdered float64 `json:"qty_ordered,omitempty"`
	Price      float64 `json:"price,omitempty"`
	RowTotal   float64 `json:"row_total,omitempty"`
}

type orderRow struct{ o Order }

func (r *orderRow) id() int64 { return r.o.EntityID }

func (r *orderRow) field(name string) (string, bool, bool) {
	o := &r.o
	switch name {
	case "entity_id":
		return strconv.FormatInt(o.EntityID, 10), true, true
	case "increment_id":
		return o.IncrementID, false, true
	case "customer_id":
		if o.CustomerID == nil {
			return "", true, true
		}
		return strconv.FormatInt(*o.CustomerID, 10), true, true
	case "customer_email":
		return o.CustomerEmail, false, true
	case "customer_is_guest":
		return strconv.Itoa(o.CustomerIsGuest), true, true
	case "created_at":
		return o.CreatedAt, false, true
	case "updated_at":
		return o.UpdatedAt, false, true
	case "state":
		return o.State, false, true
	case "status":
		return o.Status, false, true
	case "grand_total":
		return strconv.FormatFloat(o.GrandTotal, 'f', -1, 64), true, true
	case "store_id":
		return strconv.Itoa(o.StoreID), true, true
	}
	return "", false, false
}

func stamp(t time.Time) string { return t.UTC().Format(TimeLayout) }
