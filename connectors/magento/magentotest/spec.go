package magentotest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"sigs.k8s.io/yaml"
)

// specFile is the vendor's OpenAPI document, kept outside the repository in
// shared/apispecs (data only, never copied in).
const specFile = "shared/apispecs/magento/admin-schema-2.4.9.yaml"

// specPaths are the routes the connector uses: the document is pruned to
// them because the full one has conflicting path templates.
var specPaths = []string{"/V1/customers/search", "/V1/customers/{customerId}", "/V1/orders", "/V1/store/storeViews"}

// ErrNoSpec means shared/apispecs is not beside the repository.
var ErrNoSpec = errors.New("shared/apispecs/magento not found above the working directory")

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// SpecRouter loads the Magento 2.4.9 admin schema (Swagger 2.0), pruned to
// the connector's routes and converted to OpenAPI 3, found by walking up
// from the working directory to the one that holds shared/apispecs.
func SpecRouter() (routers.Router, error) {
	specOnce.Do(func() { specRouter, specErr = loadSpec() })
	return specRouter, specErr
}

func loadSpec() (routers.Router, error) {
	path, err := findSpec()
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(js, &doc); err != nil {
		return nil, err
	}
	if info, ok := doc["info"].(map[string]any); ok {
		info["description"] = "Magento admin REST API" // a $ref object in the vendor file
	}
	all, _ := doc["paths"].(map[string]any)
	kept := map[string]any{}
	for _, p := range specPaths {
		if v, ok := all[p]; ok {
			kept[p] = v
		}
	}
	doc["paths"] = kept
	js, err = json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var v2 openapi2.T
	if err := json.Unmarshal(js, &v2); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	v3, err := openapi2conv.ToV3(&v2)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Match any host and store code: the emulator runs on loopback.
	v3.Servers = openapi3.Servers{{URL: "/rest/{store}", Variables: map[string]*openapi3.ServerVariable{"store": {Default: "default"}}}}
	if err := v3.Validate(context.Background(), openapi3.DisableExamplesValidation(), openapi3.DisableSchemaDefaultsValidation()); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return gorillamux.NewRouter(v3)
}

func findSpec() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, specFile)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoSpec
		}
		dir = parent
	}
}

// Validating wraps an emulator handler so that every REST request and every
// 2xx JSON response is checked against the vendor's document; violations go
// to report. Error bodies are not checked: the document types "parameters"
// as an array, while Magento sends named parameters as an object (its own
// functional tests assert that shape; research §2.6).
func Validating(router routers.Router, next http.Handler, report func(error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/rest/") || strings.HasSuffix(r.URL.Path, "/integration/admin/token") {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		route, params, err := router.FindRoute(r)
		if err != nil {
			report(fmt.Errorf("%s %s: no such route in the spec: %w", r.Method, r.URL.Path, err))
			next.ServeHTTP(w, r)
			return
		}
		in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
			report(fmt.Errorf("request %s %s: %w", r.Method, r.URL.Path, err))
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if rec.Code/100 == 2 {
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code,
				Header: rec.Header(), Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes()))}
			if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
				report(fmt.Errorf("response %s %s: %w", r.Method, r.URL.Path, err))
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}
