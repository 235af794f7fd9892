package quickbookstest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

func (e *Emulator) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TokenPath, e.token)
	mux.HandleFunc("GET /v3/company/{realm}/query", e.company(e.query))
	mux.HandleFunc("POST /v3/company/{realm}/query", e.company(e.query))
	mux.HandleFunc("GET /v3/company/{realm}/cdc", e.company(e.cdc))
	mux.HandleFunc("GET /v3/company/{realm}/companyinfo/{id}", e.company(e.companyInfo))
	mux.HandleFunc("GET /v3/company/{realm}/customer/{id}", e.company(e.getCustomer))
	mux.HandleFunc("POST /v3/company/{realm}/customer", e.company(e.postCustomer))
	mux.HandleFunc("/v3/company/{realm}/", e.company(func(w http.ResponseWriter, r *http.Request) {
		writeFault(w, http.StatusBadRequest, "ValidationFault", faultError{Message: "Unsupported Operation",
			Detail: "Operation " + r.Method + " " + r.URL.Path + " is not supported.", Code: "500"})
	}))
	return mux
}

// routeKey groups request counts by route, and queries by entity, so tests
// can count "GET /v3/company/{realm}/query Invoice".
func routeKey(r *http.Request) string {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/v3/company/") {
		return r.Method + " " + p
	}
	parts := strings.Split(strings.TrimPrefix(p, "/v3/company/"), "/")
	key := r.Method + " /v3/company/{realm}"
	if len(parts) > 1 {
		key += "/" + parts[1]
	}
	if len(parts) > 2 {
		key += "/{id}"
	}
	if len(parts) > 1 && parts[1] == "query" {
		if q, err := parseQuery(r.URL.Query().Get("query")); err == nil {
			key += " " + q.entity
		}
	}
	return key
}

// company wraps the /v3/company/{realm} routes with the bearer check, the
// realm check and the throttle, in that order, and stamps intuit_tid.
func (e *Emulator) company(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("intuit_tid", randomToken("1-")[:26])
		auth := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || !e.auth.validAccess(token, e.now()) {
			writeAuthFault(w, e.opts.LowercaseAuthFault)
			return
		}
		if r.PathValue("realm") != e.opts.RealmID {
			writeFault(w, http.StatusForbidden, "AuthorizationFault", faultError{
				Message: "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
				Detail:  "The app is not authorized for company " + r.PathValue("realm"), Code: "3100"})
			return
		}
		if !e.throttle.enter(e.opts.Now().Add(e.offsetNow())) {
			if e.opts.ThrottleRetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int((e.opts.ThrottleRetryAfter+time.Second-1)/time.Second)))
			}
			writeThrottleFault(w)
			return
		}
		defer e.throttle.leave()
		h(w, r)
	}
}

func (e *Emulator) offsetNow() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.offset
}

func (e *Emulator) stamp() string { return e.now().In(pacific).Format("2006-01-02T15:04:05.000-07:00") }

// query serves the query language, from the query parameter or, for POST,
// the text body.
func (e *Emulator) query(w http.ResponseWriter, r *http.Request) {
	text := r.URL.Query().Get("query")
	if r.Method == http.MethodPost {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			writeValidationFault(w, "4000", "Error parsing query", "QueryParserError: unreadable body")
			return
		}
		text = string(b)
	}
	q, err := parseQuery(text)
	if err != nil {
		writeValidationFault(w, "4000", "Error parsing query", "QueryParserError: "+err.Error())
		return
	}
	resp, stamp, err := e.runQuery(q)
	if err != nil {
		writeValidationFault(w, "4000", "Error parsing query", "QueryValidationError: "+err.Error())
		return
	}
	sandbox.WriteJSON(w, http.StatusOK, map[string]any{"QueryResponse": resp, "time": stamp})
}

// runQuery answers a parsed query under the lock.
func (e *Emulator) runQuery(q *query) (map[string]any, string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	stamp := e.nowLocked().In(pacific).Format("2006-01-02T15:04:05.000-07:00")
	if q.entity == "CompanyInfo" {
		return map[string]any{"CompanyInfo": []CompanyInfo{e.companyInfoLocked()}, "startPosition": 1, "maxResults": 1}, stamp, nil
	}
	rows, total, err := e.data.run(q)
	if err != nil {
		return nil, "", err
	}
	resp := map[string]any{}
	switch {
	case q.count:
		resp["totalCount"] = total
	case len(rows) > 0:
		resp[q.entity] = rows
		resp["startPosition"] = q.start
		resp["maxResults"] = len(rows)
	}
	return resp, stamp, nil
}

func (e *Emulator) companyInfoLocked() CompanyInfo {
	return CompanyInfo{Entity: Entity{Id: "1", SyncToken: "0", Domain: "QBO", MetaData: meta(time.Date(2015, 7, 24, 10, 33, 39, 0, pacific))},
		CompanyName: e.opts.CompanyName, LegalName: e.opts.CompanyName, Country: "US"}
}

func (e *Emulator) companyInfo(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != e.opts.RealmID {
		writeValidationFault(w, "610", "Object Not Found", "CompanyInfo "+r.PathValue("id")+" not found")
		return
	}
	e.mu.Lock()
	info := e.companyInfoLocked()
	e.mu.Unlock()
	sandbox.WriteJSON(w, http.StatusOK, map[string]any{"CompanyInfo": info, "time": e.stamp()})
}

type cdcItem struct {
	entity string
	r      record
}

// cdc serves change data capture: every object of the listed entities
// changed at or after changedSince, oldest first, at most CDCMaxObjects.
func (e *Emulator) cdc(w http.ResponseWriter, r *http.Request) {
	names := strings.Split(r.URL.Query().Get("entities"), ",")
	for _, n := range names {
		if n != EntityCustomer && !isTransactionEntity(n) {
			writeValidationFault(w, "2010", "Request has invalid or unsupported property", "Invalid entity for CDC: "+n)
			return
		}
	}
	since, err := parseTime(r.URL.Query().Get("changedSince"))
	if err != nil {
		writeValidationFault(w, "2010", "Request has invalid or unsupported property", "changedSince is not a valid dateTime")
		return
	}
	e.mu.Lock()
	now := e.nowLocked()
	if now.Sub(since) > e.opts.CDCWindow {
		e.mu.Unlock()
		writeValidationFault(w, "2010", "Request has invalid or unsupported property",
			"changedSince cannot be more than 30 days in the past")
		return
	}
	var items []cdcItem
	for _, n := range names {
		for _, rec := range e.data.table(n).since(since) {
			items = append(items, cdcItem{n, rec})
		}
	}
	slices.SortStableFunc(items, func(a, b cdcItem) int { return lut(a.r).Compare(lut(b.r)) })
	items = items[:min(len(items), e.opts.CDCMaxObjects)]
	byEntity := map[string][]any{}
	for _, it := range items {
		var v any
		switch x := it.r.(type) {
		case *Customer:
			if x.Status == "Deleted" {
				v = tombstone(&x.Entity)
			} else {
				v = *x
			}
		case *Transaction:
			if x.Status == "Deleted" {
				v = tombstone(&x.Entity)
			} else {
				v = *x
			}
		}
		byEntity[it.entity] = append(byEntity[it.entity], v)
	}
	stamp := now.In(pacific).Format("2006-01-02T15:04:05.000-07:00")
	e.mu.Unlock()
	var qrs []map[string]any
	for _, n := range names {
		qr := map[string]any{}
		if objs := byEntity[n]; len(objs) > 0 {
			qr[n] = objs
			qr["startPosition"] = 1
			qr["maxResults"] = len(objs)
		}
		qrs = append(qrs, qr)
	}
	sandbox.WriteJSON(w, http.StatusOK, map[string]any{
		"CDCResponse": []map[string]any{{"QueryResponse": qrs}}, "time": stamp})
}

func (e *Emulator) getCustomer(w http.ResponseWriter, r *http.Request) {
	c, ok := e.Customer(r.PathValue("id"))
	if !ok || c.Status == "Deleted" {
		writeDataError(w, notFound(EntityCustomer, r.PathValue("id")))
		return
	}
	sandbox.WriteJSON(w, http.StatusOK, map[string]any{"Customer": c, "time": e.stamp()})
}

// postCustomer creates or updates a customer. Updates need the current
// SyncToken (a stale one is Fault 5010); customers cannot be deleted.
func (e *Emulator) postCustomer(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("operation") == "delete" {
		writeValidationFault(w, "6000", "A business validation error has occurred while processing your request",
			"Business Validation Error: Customers cannot be deleted. Make the customer inactive instead.")
		return
	}
	var c Customer
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&c); err != nil {
		writeValidationFault(w, "2500", "Invalid Request", "Request body is not a valid Customer: "+err.Error())
		return
	}
	e.mu.Lock()
	if c.Id != "" {
		cur, ok := e.data.customers.byID[c.Id]
		if ok && cur.base().SyncToken != c.SyncToken {
			e.mu.Unlock()
			writeValidationFault(w, "5010", "Stale Object Error",
				"Stale Object Error : You and another user were working on the same thing. Please try again.")
			return
		}
	}
	stored, err := e.upsertCustomerLocked(c, c.Sparse != nil && *c.Sparse)
	e.mu.Unlock()
	if err != nil {
		writeDataError(w, err)
		return
	}
	sandbox.WriteJSON(w, http.StatusOK, map[string]any{"Customer": stored, "time": e.stamp()})
}

func writeDataError(w http.ResponseWriter, err error) {
	var de *DataError
	if errors.As(err, &de) {
		writeFault(w, de.Status, "ValidationFault", faultError{Message: de.Message, Detail: de.Detail, Code: de.Code})
		return
	}
	writeFault(w, http.StatusInternalServerError, "SystemFault", faultError{Message: "An application error has occurred", Code: "10000"})
}
