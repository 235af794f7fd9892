package quickbookstest

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// xsdType is what a complexType allows: elements (name → type), attributes
// and its base type.
type xsdType struct {
	base     string
	elements map[string]string
	attrs    map[string]bool
	simple   bool // simpleContent: the JSON "value" is its text
}

// specDir finds shared/apispecs/quickbooks-online by walking up from the test's directory.
func specDir(t *testing.T) string {
	dir, _ := os.Getwd()
	for {
		p := filepath.Join(dir, "shared", "apispecs", "quickbooks-online")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/apispecs/quickbooks-online not found above the test directory: XSD check skipped")
		}
		dir = parent
	}
}

func local(s string) string {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func loadXSD(t *testing.T) map[string]*xsdType {
	types := map[string]*xsdType{}
	files, _ := filepath.Glob(filepath.Join(specDir(t), "*.xsd"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(strings.NewReader(string(b)))
		var cur *xsdType
		depth := 0
		for {
			tok, err := d.Token()
			if err != nil {
				break
			}
			switch x := tok.(type) {
			case xml.StartElement:
				depth++
				attr := func(n string) string {
					for _, a := range x.Attr {
						if a.Name.Local == n {
							return a.Value
						}
					}
					return ""
				}
				switch x.Name.Local {
				case "complexType":
					if depth == 2 {
						cur = &xsdType{elements: map[string]string{}, attrs: map[string]bool{}}
						types[attr("name")] = cur
					}
				case "element":
					if cur != nil && attr("name") != "" {
						cur.elements[attr("name")] = local(attr("type"))
					}
				case "attribute":
					if cur != nil {
						cur.attrs[attr("name")] = true
					}
				case "extension":
					if cur != nil {
						cur.base = local(attr("base"))
					}
				case "simpleContent":
					if cur != nil {
						cur.simple = true
					}
				}
			case xml.EndElement:
				depth--
				if depth == 1 {
					cur = nil
				}
			}
		}
	}
	if len(types) < 100 {
		t.Fatalf("read only %d complex types from the XSDs", len(types))
	}
	return types
}

// check reports every key of v that the XSD type does not define.
func check(t *testing.T, types map[string]*xsdType, typ, path string, v any) {
	t.Helper()
	for _, p := range problems(types, typ, path, v) {
		t.Error(p)
	}
}

func problems(types map[string]*xsdType, typ, path string, v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			out = append(out, problems(types, typ, path+"[]", e)...)
		}
	case map[string]any:
		for k, val := range x {
			found, elemType := false, ""
			for tn := typ; tn != "" && !found; {
				xt := types[tn]
				if xt == nil {
					break
				}
				if et, ok := xt.elements[k]; ok {
					found, elemType = true, et
				} else if xt.attrs[k] || (k == "value" && xt.simple) {
					found = true
				}
				tn = xt.base
			}
			if !found {
				out = append(out, path+"."+k+" is not an element or attribute of "+typ+" in the XSD")
				continue
			}
			if types[elemType] != nil {
				out = append(out, problems(types, elemType, path+"."+k, val)...)
			}
		}
	}
	return out
}

func TestPayloadsMatchXSD(t *testing.T) {
	types := loadXSD(t)
	// The check itself must catch a misnamed field, nested or not.
	if p := problems(types, "Customer", "Customer", map[string]any{"PrimaryEmailAddr": map[string]any{"Email": "x"}, "Phone": "1"}); len(p) != 2 {
		t.Fatalf("misnamed fields reported as %v, want 2 problems", p)
	}
	e := New(Options{})
	e.Generate(50, 3)
	c, _ := e.UpsertCustomer(Customer{DisplayName: "Every Field", Title: "Dr", MiddleName: "Q", Suffix: "Jr", Notes: "n",
		Mobile: &TelephoneNumber{FreeFormNumber: "1"}, ShipAddr: &PhysicalAddress{Line1: "1 Main", Line2: "Apt 2"},
		Job: boolPtr(true), BillWithParent: boolPtr(false), ParentRef: &Ref{Value: "1"}, Level: new(int)})
	tx, _ := e.AddTransaction(EntityInvoice, c.Id, time.Now(), 10)
	_ = e.VoidTransaction(EntityInvoice, tx.Id)
	roundTrip := func(v any) any {
		b, _ := json.Marshal(v)
		var out any
		_ = json.Unmarshal(b, &out)
		return out
	}
	for _, cu := range e.Customers() {
		check(t, types, "Customer", "Customer", roundTrip(cu))
	}
	for _, entity := range transactionEntities {
		for _, cu := range e.Customers() {
			for _, x := range e.Transactions(entity, cu.Id) {
				check(t, types, entity, entity, roundTrip(x))
			}
		}
	}
	e.mu.Lock()
	info := e.companyInfoLocked()
	e.mu.Unlock()
	check(t, types, "CompanyInfo", "CompanyInfo", roundTrip(info))
	check(t, types, "Fault", "Fault", roundTrip(map[string]any{"Error": []faultError{{Message: "m", Detail: "d", Code: "1", Element: "e"}}, "type": "ValidationFault"}))
	// Envelope attributes.
	for _, a := range []string{"startPosition", "maxResults", "totalCount"} {
		if !types["QueryResponse"].attrs[a] {
			t.Errorf("QueryResponse has no attribute %s", a)
		}
	}
	if !types["IntuitResponse"].attrs["time"] {
		t.Error("IntuitResponse has no time attribute")
	}
}
