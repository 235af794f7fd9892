package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// Person is a generated customer or donor, provider-neutral: each emulator
// turns it into its own entity (QuickBooks Customer, Magento customer, Kibo
// account, Flipcause donor).
type Person struct {
	// N is the person's index in the generated population (0-based).
	N         int
	FirstName string
	LastName  string
	Company   string
	// Email may be empty (MissingEmailShare), malformed (InvalidEmailShare)
	// or the same as an earlier person's (DuplicateEmailShare).
	Email      string
	Phone      string
	Street     string
	City       string
	Region     string
	PostalCode string
	Country    string
	Active     bool
	// Subscribed is the marketing opt-in.
	Subscribed bool
	Created    time.Time
	Updated    time.Time
	Orders     []Order
}

// Order is a generated purchase (invoice, sales receipt, order, donation).
type Order struct {
	N      int
	Date   time.Time
	Amount float64
}

// GenOptions shape a generated population. Shares are in [0,1].
type GenOptions struct {
	Seed uint64
	// Now anchors dates: people are created and buy within the two years before it.
	Now                 time.Time
	MissingEmailShare   float64
	InvalidEmailShare   float64
	DuplicateEmailShare float64
	InactiveShare       float64
	SubscribedShare     float64
	CompanyShare        float64
	// MaxOrders per person (default 12); about a fifth of people buy nothing.
	MaxOrders int
}

// DefaultGenOptions are realistic shares, as the seed integrations see them.
func DefaultGenOptions() GenOptions {
	return GenOptions{
		Seed: 42, Now: time.Now().UTC().Truncate(time.Second),
		MissingEmailShare: 0.05, InvalidEmailShare: 0.02, DuplicateEmailShare: 0.01,
		InactiveShare: 0.05, SubscribedShare: 0.6, CompanyShare: 0.3, MaxOrders: 12,
	}
}

var (
	firstNames = []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
		"William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Christopher",
		"Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra", "Sofía", "José", "Zoë",
		"Renée", "Aiko", "Chen", "Priya", "Olamide", "Siobhán", "Łukasz", "Mónica", "François", "O'Neil"}
	lastNames = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
		"Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "O'Brien", "Nguyen",
		"Kowalski", "Müller", "Tanaka", "Okafor", "Van der Berg", "Smith-Jones"}
	companies = []string{"Acme Books LLC", "Blue Heron Bakery", "Cedar & Pine Landscaping", "Delta Tutoring", "Evergreen Dental",
		"Foxglove Florists", "Granite Peak Outfitters", "Harbor View Realty", "Ironwood Fitness", "Juniper Yoga Studio"}
	domains = []string{"example.com", "example.org", "example.net", "mail.example.com", "test.example.org"}
	streets = []string{"Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Pine Rd", "Washington Blvd", "Lake Shore Dr"}
	cities  = []struct{ city, region, zip string }{
		{"Mountain View", "CA", "94043"}, {"Austin", "TX", "78701"}, {"Portland", "OR", "97205"}, {"Denver", "CO", "80202"},
		{"Boston", "MA", "02108"}, {"Chicago", "IL", "60601"}, {"Seattle", "WA", "98101"}, {"Madison", "WI", "53703"},
	}
	invalidEmails = []string{"jane.doe@", "@example.com", "john smith@example.com", "no-at-sign.example.com",
		"double@@example.com", "trailing@example", "spaces @example.com"}
)

// People generates n people deterministically from o.Seed.
func People(n int, o GenOptions) []Person {
	if o.Now.IsZero() {
		o.Now = time.Now().UTC().Truncate(time.Second)
	}
	if o.MaxOrders <= 0 {
		o.MaxOrders = 12
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x5bd1e995))
	out := make([]Person, 0, n)
	span := 2 * 365 * 24 * time.Hour
	for i := range n {
		p := Person{
			N:         i,
			FirstName: firstNames[rng.IntN(len(firstNames))],
			LastName:  lastNames[rng.IntN(len(lastNames))],
			Active:    rng.Float64() >= o.InactiveShare,
			Country:   "US",
		}
		p.Subscribed = rng.Float64() < o.SubscribedShare
		if rng.Float64() < o.CompanyShare {
			p.Company = companies[rng.IntN(len(companies))]
		}
		c := cities[rng.IntN(len(cities))]
		p.Street = fmt.Sprintf("%d %s", 1+rng.IntN(9999), streets[rng.IntN(len(streets))])
		p.City, p.Region, p.PostalCode = c.city, c.region, c.zip
		p.Phone = fmt.Sprintf("(%03d) 555-%04d", 200+rng.IntN(700), rng.IntN(10000))
		switch r := rng.Float64(); {
		case r < o.MissingEmailShare:
			p.Email = ""
		case r < o.MissingEmailShare+o.InvalidEmailShare:
			p.Email = invalidEmails[rng.IntN(len(invalidEmails))]
		case r < o.MissingEmailShare+o.InvalidEmailShare+o.DuplicateEmailShare && len(out) > 0:
			p.Email = out[rng.IntN(len(out))].Email
		default:
			p.Email = EmailFor(p.FirstName, p.LastName, i)
		}
		p.Created = o.Now.Add(-time.Duration(rng.Int64N(int64(span))))
		p.Updated = p.Created
		if rng.Float64() >= 0.2 {
			k := 1 + rng.IntN(o.MaxOrders)
			for j := range k {
				d := p.Created.Add(time.Duration(rng.Int64N(int64(o.Now.Sub(p.Created)) + 1)))
				amount := float64(500+rng.IntN(50000)) / 100
				p.Orders = append(p.Orders, Order{N: j, Date: d, Amount: amount})
				if d.After(p.Updated) {
					p.Updated = d
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// EmailFor makes a unique, plausible address for the i-th person.
func EmailFor(first, last string, i int) string {
	clean := func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
			}
		}
		if b.Len() == 0 {
			return "x"
		}
		return b.String()
	}
	return fmt.Sprintf("%s.%s%d@%s", clean(first), clean(last), i, domains[i%len(domains)])
}

// PostWebhook sends a webhook body to url with the given headers, as the
// providers do, and returns the status code. Emulators use it to deliver
// correctly signed events to the operator's receiver.
func PostWebhook(ctx context.Context, url string, body []byte, headers map[string]string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}
