package esmatch

import (
	"fmt"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The IR carries no field types, and a query cannot see the index mapping, so a pipeline
// tells the Elasticsearch targets what they need to know about it through pipeline state:
// each key below lists field names as the query writes them, after field mapping.

const (
	// IPFieldsKey lists the fields mapped as ip (ipfield.go).
	IPFieldsKey = "ip_fields"
	// FlattenedFieldsKey lists the object paths mapped as flattened: their sub-fields are
	// keyed flattened fields, which answer only term, prefix and exists queries exactly.
	FlattenedFieldsKey = "flattened_fields"
	// MultiValuedFieldsKey lists the fields (or object paths, covering every field below
	// them) that may hold several values in one event: JSON arrays, or paths that cross an
	// array of objects. Only the ES|QL target needs it: its comparisons are null on a
	// multi-valued field.
	MultiValuedFieldsKey = "multivalued_fields"
)

// Mapping is what a rule's pipeline state says about the index mapping.
type Mapping struct {
	IP          map[string]bool // ip_fields
	Flattened   map[string]bool // flattened_fields: the flattened objects
	MultiValued map[string]bool // multivalued_fields
}

// ReadMapping reads the mapping keys of a rule's pipeline state; a missing key lists
// nothing.
func ReadMapping(state map[string]any) (Mapping, error) {
	var m Mapping
	var err error
	if m.IP, err = fieldSet(state, IPFieldsKey); err != nil {
		return Mapping{}, err
	}
	if m.Flattened, err = fieldSet(state, FlattenedFieldsKey); err != nil {
		return Mapping{}, err
	}
	if m.MultiValued, err = fieldSet(state, MultiValuedFieldsKey); err != nil {
		return Mapping{}, err
	}
	return m, nil
}

// StringList reads a pipeline state value that is a string or a list of strings; ok is
// false when the key is missing or null.
func StringList(state map[string]any, key string) (list []string, ok bool, err error) {
	v, found := state[key]
	if !found || v == nil {
		return nil, false, nil
	}
	switch v := v.(type) {
	case string:
		return []string{v}, true, nil
	case []string:
		return v, true, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, isString := e.(string)
			if !isString {
				return nil, true, fmt.Errorf("state %s: %v is not a string", key, e)
			}
			out = append(out, s)
		}
		return out, true, nil
	}
	return nil, true, fmt.Errorf("state %s: %v is not a string or a list of strings", key, v)
}

// fieldSet reads a state key listing field names.
func fieldSet(state map[string]any, key string) (map[string]bool, error) {
	names, ok, err := StringList(state, key)
	if err != nil || !ok {
		return nil, err
	}
	out := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" {
			return nil, fmt.Errorf("state %s: an empty field name", key)
		}
		out[n] = true
	}
	return out, nil
}

// IPFields reads the pipeline state ip_fields: a field name or a list of them. A rule without
// the key has no ip fields.
func IPFields(state map[string]any) (map[string]bool, error) {
	return fieldSet(state, IPFieldsKey)
}

// underAny returns the member of set that is field or one of its object paths (a, a.b for
// a.b.c), the longest first, or "".
func underAny(set map[string]bool, field string) string {
	if len(set) == 0 {
		return ""
	}
	for p := field; ; {
		if set[p] {
			return p
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			return ""
		}
		p = p[:i]
	}
}

// FlattenedObject returns the flattened object that holds field (field itself when it is the
// object's root), or "".
func (m Mapping) FlattenedObject(field string) string { return underAny(m.Flattened, field) }

// IsMultiValued reports whether field, or an object path above it, is listed as multi-valued.
func (m Mapping) IsMultiValued(field string) bool { return underAny(m.MultiValued, field) != "" }

// LeafFields returns the fields a leaf reads: its field and, for a FieldRef, the referenced one.
func LeafFields(n ir.Node) []string {
	var out []string
	for _, f := range []string{ir.Field(n), refField(n)} {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// FlattenedUnsupported returns the diagnostic for a leaf on a flattened field that such a
// field cannot answer exactly, or code "" when the leaf reads no flattened field or the
// target may render it with its ordinary term, prefix or exists form.
//
// A keyed sub-field of a flattened field (verified on Elasticsearch 8.19; see
// testdata/elasticsearch/README.md) answers term, prefix and exists queries exactly, but
// refuses wildcard, regexp and one-sided range queries, compares both-sided ranges as
// strings, and silently mismatches query_string's regular expressions, leading wildcards and
// inner wildcards. So a Match is exact when it is an equality, a prefix or `*` (any value),
// compared case-sensitively or on a value without letters, or case-insensitively when
// nativeFold says the target has a case-insensitive term and prefix (the Query DSL's
// case_insensitive) and Elasticsearch's folding is exact for every letter of the value.
// The root of the object answers exists queries only: any other query on it matches the
// values under every key.
func FlattenedUnsupported(n ir.Node, m Mapping, nativeFold bool) (code, message string) {
	for _, f := range LeafFields(n) {
		obj := m.FlattenedObject(f)
		if obj == "" {
			continue
		}
		why := fmt.Sprintf("field %s is in the flattened object %s (pipeline state %s)", f, obj, FlattenedFieldsKey)
		switch x := n.(type) {
		case *ir.Exists, *ir.Null:
			return "", ""
		case *ir.Match:
			if x.Kind == ir.String && x.Pattern.Shape() == ir.ShapeAny {
				return "", ""
			}
			if f == obj {
				return diag.UnsupportedFlattened, fmt.Sprintf("%s: %s is the root of a flattened object, which holds no value of its own", n, f)
			}
			if x.Kind != ir.String {
				return "", ""
			}
			switch x.Pattern.Shape() {
			case ir.ShapeExact, ir.ShapePrefix:
				if x.Cased || !PatternHasCase(x.Pattern) || nativeFold && PatternNativeFoldExact(x.Pattern) {
					return "", ""
				}
				if nativeFold {
					return diag.UnsupportedFlattened, fmt.Sprintf("%s: %s, whose keyed fields take no regular expression, and Elasticsearch's case-insensitive term folds some letter of the value otherwise than Sigma", n, why)
				}
				return diag.UnsupportedFlattened, fmt.Sprintf("%s: %s, whose keyed fields take no regular expression, and this target has no case-insensitive term to match the value's letters in any case", n, why)
			}
			return diag.UnsupportedFlattened, fmt.Sprintf("%s: %s, whose keyed fields answer only exact and prefix matches (no wildcard inside or before the value)", n, why)
		case *ir.Compare:
			return diag.UnsupportedFlattened, fmt.Sprintf("%s: %s, whose keyed fields compare values as strings, not numbers", n, why)
		}
		return diag.UnsupportedFlattened, fmt.Sprintf("%s: %s, whose keyed fields answer only exact, prefix and exists queries", n, why)
	}
	return "", ""
}

// Unsupported returns the diagnostic for a leaf the mapping rules out on a target: a text
// comparison on an ip field (IPFieldUnsupported), or a query a flattened field cannot answer
// (FlattenedUnsupported, with the target's nativeFold); code "" when there is none.
func (m Mapping) Unsupported(n ir.Node, nativeFold bool) (code, message string) {
	if code, message = IPFieldUnsupported(n, m.IP); code != "" {
		return code, message
	}
	return FlattenedUnsupported(n, m, nativeFold)
}
