package splfields

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The diagnostic codes of a leaf the description cannot answer exactly (translator/diag).
const (
	Unlisted  diag.Code = diag.FieldsUnlistedField
	Ambiguous diag.Code = diag.FieldsAmbiguousField
	FieldType diag.Code = diag.FieldsFieldType
)

// Resolve returns the leaf n under the names Splunk extracts, as the description m lists
// them, or the diagnostic saying why m cannot answer it exactly (out nil); n unchanged when
// m is nil. A keyword has no field and is returned as it is.
func Resolve(n ir.Node, m *ir.IndexMapping) (out ir.Node, code diag.Code, message string) {
	if m == nil {
		return n, "", ""
	}
	if _, ok := n.(ir.Leaf); !ok {
		return n, "", ""
	}
	if _, ok := n.(*ir.Keyword); ok {
		return n, "", ""
	}
	out = n
	fields := []string{ir.Field(n)}
	if r, ok := n.(*ir.FieldRef); ok {
		fields = append(fields, r.Ref)
	}
	for i, f := range fields {
		to, code, msg := name(f, m)
		if code != "" {
			return nil, code, fmt.Sprintf("%s: %s (fields %s)", n, msg, m.Source)
		}
		if i == 0 && to != f {
			out = out.(ir.Leaf).WithField(to)
		} else if i == 1 && to != f {
			c := *out.(*ir.FieldRef)
			c.Ref = to
			out = &c
		}
		if i == 0 {
			if x, ok := n.(*ir.Match); ok && x.Kind == ir.Number && m.Fields[to].Type != Numeric {
				return nil, FieldType, fmt.Sprintf("%s: the description does not show every value of field %s to be a number (for an array's elements, | fieldsummary maxvals=0 lists them all), and SPL compares a text field's text, so a number spelled otherwise (10.0 for 10) would be missed (fields %s)", n, to, m.Source)
			}
		}
	}
	return out, "", ""
}

// NumberField reports whether the Splunk target must compare a number value on field f
// (a name Resolve returned) numerically: the description says every value is a number.
func NumberField(m *ir.IndexMapping, f string) bool {
	return m != nil && m.Fields[f].Type == Numeric
}

// name returns the extracted name of the Sigma field f.
func name(f string, m *ir.IndexMapping) (string, diag.Code, string) {
	var found []string
	if _, ok := m.Fields[f]; ok {
		found = append(found, f)
	}
	found = append(found, braced(f, m)...)
	switch len(found) {
	case 0:
		return "", Unlisted, fmt.Sprintf("the description lists no field %s (nor one with {} array steps), so Splunk extracts none from the events it describes and a search on it would match nothing", f)
	case 1:
		return found[0], "", ""
	}
	return "", Ambiguous, fmt.Sprintf("the description lists field %s under %s: which one an event holds cannot be told from the rule", f, strings.Join(found, " and "))
}

// braced lists the names of m holding `{}` that read f once every `{}` is removed, sorted.
// It scans every name: a description lists at most a few thousand fields, and the
// mapping is shared by every rule of a run, so it holds no index built on first use.
func braced(f string, m *ir.IndexMapping) []string {
	var out []string
	for k := range m.Fields {
		if strings.Contains(k, "{}") && strings.ReplaceAll(k, "{}", "") == f {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
