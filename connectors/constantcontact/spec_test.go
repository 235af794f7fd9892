package constantcontact

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/constantcontact/constantcontacttest"
)

// specGaps are documented defects of the vendor spec, skipped by name: an
// error is skipped when it is on that operation and contains the text.
var specGaps = []struct{ operation, contains, why string }{
	{"createListRemoveActivity", "maximum number of items is 0",
		"the spec gives list_ids maxItems: 0, though the text allows up to 50 lists"},
	{"getAllContacts", `"include" in query has an error: value is not one of the allowed values`,
		"include is a csv list (format: csv), but the spec puts the enum on the whole string"},
	{"getContactById", `"include" in query has an error: value is not one of the allowed values`,
		"include is a csv list (format: csv), but the spec puts the enum on the whole string"},
}

func skipped(op, msg string) bool {
	for _, g := range specGaps {
		if g.operation == op && strings.Contains(msg, g.contains) {
			return true
		}
	}
	return false
}

// findSpec walks up from the working directory to shared/apispecs.
func findSpec(t *testing.T) string {
	dir, _ := os.Getwd()
	for {
		p := filepath.Join(dir, "shared", "apispecs", "constantcontact", "constant-contact-v3-openapi-1.0.221.yaml")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/apispecs/constantcontact is not above the working directory: the vendor spec is needed to validate emulator traffic")
		}
		dir = parent
	}
}

// validator checks every /v3 request and response against the spec.
type validator struct {
	router routers.Router
	mu     sync.Mutex
	errs   []string
	seen   map[string]bool
}

func (v *validator) fail(op, msg string) {
	if skipped(op, msg) {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.errs = append(v.errs, op+": "+msg)
}

func (v *validator) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v3/") {
			next.ServeHTTP(w, r) // OAuth and /_sandbox/ are not in the spec
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		// The spec's server is https://api.cc.email/v3: route as if there.
		vr := r.Clone(r.Context())
		vr.URL.Scheme, vr.URL.Host, vr.Host = "https", "api.cc.email", "api.cc.email"
		vr.Body = io.NopCloser(bytes.NewReader(body))
		route, params, err := v.router.FindRoute(vr)
		if err != nil {
			v.fail(r.Method+" "+r.URL.Path, "no route in the spec: "+err.Error())
			next.ServeHTTP(w, r)
			return
		}
		op := route.Operation.OperationID
		v.mu.Lock()
		v.seen[op] = true
		v.mu.Unlock()
		opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
		in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route, Options: opts}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			v.fail(op, "request: "+err.Error())
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code,
			Header: rec.Header(), Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())), Options: opts}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			v.fail(op, "response: "+err.Error())
		}
		for k, vals := range rec.Header() {
			w.Header()[k] = vals
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func loadValidator(t *testing.T) *validator {
	raw, err := os.ReadFile(findSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("load spec: %v", err)
	}
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation(), openapi3.DisableSchemaDefaultsValidation()); err != nil {
		t.Fatalf("validate spec: %v", err)
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return &validator{router: r, seen: map[string]bool{}}
}

// TestTrafficMatchesSpec drives every operation of the target through a
// validating proxy and fails on any disagreement with the vendor spec.
func TestTrafficMatchesSpec(t *testing.T) {
	v := loadValidator(t)
	e := newEnv(t, envOpts{list: "Spec List", create: true, wrap: v.wrap})
	if err := e.em.Seed(
		constantcontacttest.SeedContact{Email: "member@example.com", Permission: "explicit", Lists: []string{"Spec List", "VIP"}, Custom: map[string]string{"Level": "1"}, Tags: []string{"T"}},
		constantcontacttest.SeedContact{Email: "other@example.com", Permission: "not_set", Lists: []string{"Other"}},
		constantcontacttest.SeedContact{Email: "nolist@example.com"},
		constantcontacttest.SeedContact{Email: "unsub@example.com", Permission: "unsubscribed"},
	); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	if _, err := e.target.Check(ctx); err != nil {
		t.Fatal(err)
	}
	emails := []string{"member@example.com", "other@example.com", "nolist@example.com"}
	got, err := e.target.Lookup(ctx, emails)
	if err != nil {
		t.Fatal(err)
	}
	writes := []connectors.Write{
		{Email: "new@example.com", Create: true, Permission: connectors.PermissionImplicit, FirstName: "N", Phone: "555-0100",
			Address: connectors.Address{Street: "1 Main St", City: "Austin", Region: "TX", PostalCode: "78701", Country: "US"},
			Custom:  map[string]string{"Level": "2", "Donor Since": "2015"}, Tags: []string{"QuickBooks Online"}, AddGroups: []string{"Segment"}},
		{Email: "explicit@example.com", Create: true, Permission: connectors.PermissionExplicit, Phone: "555-0101",
			Address: connectors.Address{City: "Boston"}, Custom: map[string]string{"Level": "3"}, Tags: []string{"QuickBooks Online"}},
		{Email: "member@example.com", ID: got["member@example.com"].ID, LastName: "M", RemoveGroups: []string{"VIP"}},
		{Email: "other@example.com", FirstName: "O"},
		{Email: "nolist@example.com", FirstName: "L", Phone: "555-0102"},
		{Email: "member@example.com", Unsubscribe: true},
	}
	if _, err := e.target.Upsert(ctx, writes[:5]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.target.Upsert(ctx, writes[5:]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.target.Unsubscribes(ctx, time.Now().Add(-time.Hour), func([]connectors.Unsubscribe) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for _, err := range v.errs {
		t.Error(err)
	}
	for _, op := range []string{"getAllLists", "createList", "getAllContacts", "createContact", "getContactById", "updateContact",
		"createImportJSONActivity", "getActivityById", "createListRemoveActivity", "getAllCustomFields", "createCustomFields",
		"getAllTags", "postTag", "createTagAddContactActivity"} {
		if !v.seen[op] {
			t.Errorf("operation %s was not exercised", op)
		}
	}
}
