package kibotest

import "time"

// The wire types follow the field names of Kibo's openapi_customer.json and
// openapi_commerce.json as recorded in shared/research/sources.md §3 (the
// spec files themselves are not kept in the repository).

// AuditInfo is Kibo's audit block; updateDate is the incremental watermark.
type AuditInfo struct {
	CreateDate time.Time `json:"createDate"`
	UpdateDate time.Time `json:"updateDate"`
	CreateBy   string    `json:"createBy,omitempty"`
	UpdateBy   string    `json:"updateBy,omitempty"`
}

// Money is a currency amount.
type Money struct {
	CurrencyCode string  `json:"currencyCode"`
	Amount       float64 `json:"amount"`
}

// CommerceSummary is what an account bought, maintained from its orders.
type CommerceSummary struct {
	TotalOrderAmount Money      `json:"totalOrderAmount"`
	OrderCount       int        `json:"orderCount"`
	LastOrderDate    *time.Time `json:"lastOrderDate,omitempty"`
	WishlistCount    int        `json:"wishlistCount"`
	VisitsCount      int        `json:"visitsCount"`
}

// PhoneNumbers of a contact.
type PhoneNumbers struct {
	Home   string `json:"home,omitempty"`
	Mobile string `json:"mobile,omitempty"`
	Work   string `json:"work,omitempty"`
}

// Address of a contact.
type Address struct {
	Address1        string `json:"address1,omitempty"`
	Address2        string `json:"address2,omitempty"`
	Address3        string `json:"address3,omitempty"`
	Address4        string `json:"address4,omitempty"`
	CityOrTown      string `json:"cityOrTown,omitempty"`
	StateOrProvince string `json:"stateOrProvince,omitempty"`
	PostalOrZipCode string `json:"postalOrZipCode,omitempty"`
	CountryCode     string `json:"countryCode,omitempty"`
	AddressType     string `json:"addressType,omitempty"`
	IsValidated     bool   `json:"isValidated"`
}

// ContactType marks a contact as billing, shipping, primary.
type ContactType struct {
	Name      string `json:"name"`
	IsPrimary bool   `json:"isPrimary"`
}

// Contact is a CustomerContact of an account.
type Contact struct {
	ID                    int           `json:"id"`
	AccountID             int           `json:"accountId"`
	Email                 string        `json:"email,omitempty"`
	FirstName             string        `json:"firstName,omitempty"`
	MiddleNameOrInitial   string        `json:"middleNameOrInitial,omitempty"`
	LastNameOrSurname     string        `json:"lastNameOrSurname,omitempty"`
	CompanyOrOrganization string        `json:"companyOrOrganization,omitempty"`
	PhoneNumbers          PhoneNumbers  `json:"phoneNumbers"`
	Address               *Address      `json:"address,omitempty"`
	Types                 []ContactType `json:"types,omitempty"`
	AuditInfo             AuditInfo     `json:"auditInfo"`
}

// Attribute is a CustomerAttribute.
type Attribute struct {
	FullyQualifiedName    string   `json:"fullyQualifiedName"`
	AttributeDefinitionID int      `json:"attributeDefinitionId"`
	Values                []string `json:"values"`
}

// Segment is a customer segment the account belongs to.
type Segment struct {
	ID   int    `json:"id"`
	Code string `json:"code,omitempty"`
	Name string `json:"name,omitempty"`
}

// Account is a CustomerAccount.
type Account struct {
	ID                    int             `json:"id"`
	EmailAddress          string          `json:"emailAddress,omitempty"`
	UserName              string          `json:"userName,omitempty"`
	FirstName             string          `json:"firstName,omitempty"`
	LastName              string          `json:"lastName,omitempty"`
	LocaleCode            string          `json:"localeCode,omitempty"`
	UserID                string          `json:"userId,omitempty"`
	IsAnonymous           bool            `json:"isAnonymous"`
	IsLocked              bool            `json:"isLocked"`
	IsActive              bool            `json:"isActive"`
	AcceptsMarketing      bool            `json:"acceptsMarketing"`
	HasExternalPassword   bool            `json:"hasExternalPassword"`
	CustomerSet           string          `json:"customerSet,omitempty"`
	CompanyOrOrganization string          `json:"companyOrOrganization,omitempty"`
	ExternalID            string          `json:"externalId,omitempty"`
	TaxExempt             bool            `json:"taxExempt"`
	TaxID                 string          `json:"taxId,omitempty"`
	AccountType           string          `json:"accountType,omitempty"`
	CustomerSinceDate     *time.Time      `json:"customerSinceDate,omitempty"`
	MigrationRequired     bool            `json:"migrationRequired"`
	AuditInfo             AuditInfo       `json:"auditInfo"`
	Contacts              []Contact       `json:"contacts"`
	Notes                 []any           `json:"notes"`
	Attributes            []Attribute     `json:"attributes"`
	Segments              []Segment       `json:"segments"`
	CommerceSummary       CommerceSummary `json:"commerceSummary"`
}

// Order is a CommerceRuntimeOrder, reduced to the fields the research lists.
type Order struct {
	ID                string     `json:"id"`
	OrderNumber       int        `json:"orderNumber"`
	CustomerAccountID int        `json:"customerAccountId,omitempty"` // 0: a guest order
	Email             string     `json:"email,omitempty"`
	Status            string     `json:"status"`
	PaymentStatus     string     `json:"paymentStatus,omitempty"`
	SubmittedDate     time.Time  `json:"submittedDate"`
	ClosedDate        *time.Time `json:"closedDate,omitempty"`
	CancelledDate     *time.Time `json:"cancelledDate,omitempty"`
	Total             float64    `json:"total"`
	Subtotal          float64    `json:"subtotal"`
	CurrencyCode      string     `json:"currencyCode"`
	AmountRefunded    float64    `json:"amountRefunded"`
	TotalCollected    float64    `json:"totalCollected"`
	AcceptsMarketing  bool       `json:"acceptsMarketing"`
	Type              string     `json:"type"`
	ChannelCode       string     `json:"channelCode,omitempty"`
	SiteID            int64      `json:"siteId"`
	AuditInfo         AuditInfo  `json:"auditInfo"`
	IsImport          bool       `json:"isImport"`
}

// Collection is Kibo's paged envelope (CustomerAccountCollection, OrderCollection).
type Collection[T any] struct {
	StartIndex int `json:"startIndex"`
	PageSize   int `json:"pageSize"`
	PageCount  int `json:"pageCount"`
	TotalCount int `json:"totalCount"`
	Items      []T `json:"items"`
}

// AuthTicket is what the classic app-auth endpoints return.
type AuthTicket struct {
	AccessToken            string    `json:"accessToken"`
	AccessTokenExpiration  time.Time `json:"accessTokenExpiration"`
	RefreshToken           string    `json:"refreshToken"`
	RefreshTokenExpiration time.Time `json:"refreshTokenExpiration"`
}

// APIError is Kibo's error body (shape from the vendor SDKs).
type APIError struct {
	Message             string          `json:"message"`
	ErrorCode           string          `json:"errorCode"`
	ApplicationName     string          `json:"applicationName"`
	AdditionalErrorData []NameValue     `json:"additionalErrorData"`
	Items               []APIErrorItem  `json:"items"`
	ExceptionDetail     ExceptionDetail `json:"exceptionDetail"`
}

// NameValue is an additionalErrorData entry.
type NameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// APIErrorItem is one nested error.
type APIErrorItem struct {
	ErrorCode           string      `json:"errorCode"`
	Message             string      `json:"message"`
	ApplicationName     string      `json:"applicationName"`
	AdditionalErrorData []NameValue `json:"additionalErrorData"`
}

// ExceptionDetail is the server-side exception summary.
type ExceptionDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Source  string `json:"source,omitempty"`
}

// Event is the body of an event notification (webhooks.json).
type Event struct {
	EventID            string      `json:"eventId"`
	Topic              string      `json:"topic"`
	EntityID           string      `json:"entityId"`
	Timestamp          time.Time   `json:"timestamp"`
	CorrelationID      string      `json:"correlationId"`
	IsTest             bool        `json:"isTest"`
	ExtendedProperties []NameValue `json:"extendedProperties,omitempty"`
}
