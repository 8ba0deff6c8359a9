package esmatch

import (
	"fmt"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The IR carries no field types, and a query cannot see the index mapping, so a pipeline
// tells the Elasticsearch targets what they need to know about it through the rule's
// Deployment (pipeline state ip_fields, flattened_fields and multivalued_fields): field
// names as the query writes them, after field mapping.

// Mapping is what a rule's Deployment says about the index mapping.
type Mapping struct {
	IP          map[string]bool // ip_fields
	Flattened   map[string]bool // flattened_fields: the flattened objects
	MultiValued map[string]bool // multivalued_fields: fields that may hold several values
}

// ReadMapping reads the mapping lists of a rule's Deployment, with the ip and flattened
// fields of its index mapping (Deployment.Mapping) when one was given; an unset list lists
// nothing.
func ReadMapping(d *ir.Deployment) Mapping {
	var ip, flat []string
	if d.Mapping != nil {
		ip, flat = d.Mapping.IP, d.Mapping.Flattened
	}
	return Mapping{IP: set(d.IPFields, ip), Flattened: set(d.FlattenedFields, flat), MultiValued: set(d.MultiValuedFields, nil)}
}

func set(names, more []string) map[string]bool {
	if len(names)+len(more) == 0 {
		return nil
	}
	out := make(map[string]bool, len(names)+len(more))
	for _, n := range names {
		out[n] = true
	}
	for _, n := range more {
		out[n] = true
	}
	return out
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
func FlattenedUnsupported(n ir.Node, m Mapping, nativeFold bool) (code diag.Code, message string) {
	for _, f := range LeafFields(n) {
		obj := m.FlattenedObject(f)
		if obj == "" {
			continue
		}
		why := fmt.Sprintf("field %s is in the flattened object %s (pipeline state %s or the index mapping)", f, obj, ir.StateFlattened)
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
		case *ir.And, *ir.CIDR, *ir.FieldRef, *ir.Keyword, *ir.Not, *ir.Or, *ir.Regex, *ir.TimePart:
			// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
		}
		return diag.UnsupportedFlattened, fmt.Sprintf("%s: %s, whose keyed fields answer only exact, prefix and exists queries", n, why)
	}
	return "", ""
}
