package magento

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// timeLayout is Magento's timestamp: UTC without a zone.
const timeLayout = "2006-01-02 15:04:05"

type cond struct{ field, value, condition string }

// search is a searchCriteria: filters within a group are OR, groups are AND.
type search struct {
	groups   [][]cond
	sorts    [][2]string // field, direction
	pageSize int
	page     int
}

func (s search) values() url.Values {
	q := url.Values{}
	for i, g := range s.groups {
		for j, f := range g {
			p := fmt.Sprintf("searchCriteria[filterGroups][%d][filters][%d]", i, j)
			q.Set(p+"[field]", f.field)
			q.Set(p+"[value]", f.value)
			q.Set(p+"[conditionType]", f.condition)
		}
	}
	for i, so := range s.sorts {
		q.Set(fmt.Sprintf("searchCriteria[sortOrders][%d][field]", i), so[0])
		q.Set(fmt.Sprintf("searchCriteria[sortOrders][%d][direction]", i), so[1])
	}
	if s.pageSize > 0 {
		q.Set("searchCriteria[pageSize]", strconv.Itoa(s.pageSize))
		q.Set("searchCriteria[currentPage]", strconv.Itoa(s.page))
	}
	return q
}

// byUpdated sorts by updated_at and then by ID, a unique tiebreaker
// (pages can repeat rows without one).
var byUpdated = [][2]string{{"updated_at", "ASC"}, {"entity_id", "ASC"}}

// pages is how many pages of size hold total rows. Magento repeats the
// last page past the end, so the stream stops by total_count, never by an
// empty page.
func pages(total, size int) int { return (total + size - 1) / size }

func inList[T any](items []T, format func(T) string) string {
	parts := make([]string, 0, len(items))
	for _, it := range items {
		parts = append(parts, format(it))
	}
	return strings.Join(parts, ",")
}

type customerPage struct {
	Items      []customer `json:"items"`
	TotalCount int        `json:"total_count"`
}

type customer struct {
	ID           int64     `json:"id"`
	GroupID      int       `json:"group_id"`
	Confirmation string    `json:"confirmation"`
	CreatedAt    string    `json:"created_at"`
	UpdatedAt    string    `json:"updated_at"`
	CreatedIn    string    `json:"created_in"`
	Email        string    `json:"email"`
	Firstname    string    `json:"firstname"`
	Lastname     string    `json:"lastname"`
	StoreID      int       `json:"store_id"`
	WebsiteID    int       `json:"website_id"`
	Billing      string    `json:"default_billing"`
	Addresses    []address `json:"addresses"`
	Ext          *struct {
		IsSubscribed *bool `json:"is_subscribed"`
	} `json:"extension_attributes"`
}

type address struct {
	ID     json.Number `json:"id"`
	Region *struct {
		Code   string `json:"region_code"`
		Region string `json:"region"`
	} `json:"region"`
	CountryID string   `json:"country_id"`
	Street    []string `json:"street"`
	Company   string   `json:"company"`
	Telephone string   `json:"telephone"`
	Postcode  string   `json:"postcode"`
	City      string   `json:"city"`
	Billing   bool     `json:"default_billing"`
}

type orderPage struct {
	Items      []order `json:"items"`
	TotalCount int     `json:"total_count"`
}

type order struct {
	ID            int64   `json:"entity_id"`
	CustomerID    *int64  `json:"customer_id"`
	CustomerEmail string  `json:"customer_email"`
	CreatedAt     string  `json:"created_at"`
	UpdatedAt     string  `json:"updated_at"`
	GrandTotal    float64 `json:"grand_total"`
	TotalRefunded float64 `json:"total_refunded"`
	State         string  `json:"state"`
}

func parseTime(s string) (time.Time, error) { return time.Parse(timeLayout, s) }
