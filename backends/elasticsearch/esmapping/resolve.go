package esmapping

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// The diagnostic codes of a leaf the mapping cannot answer exactly (translator/diag).
const (
	TextField   diag.Code = diag.MappingTextField
	IgnoreAbove diag.Code = diag.MappingIgnoreAbove
	FieldType   diag.Code = diag.MappingFieldType
	Conflict    diag.Code = diag.MappingTypeConflict
	Unmapped    diag.Code = diag.MappingUnmappedField
	Unindexed   diag.Code = diag.MappingUnindexedField
)

// kind groups the field types by what a leaf can ask of them.
type kind uint8

const (
	kindOther kind = iota
	kindKeyword
	kindText
	kindNumber
	kindBool
	kindIP
	kindFlattened
	kindDate
	kindObject
)

func kindOf(typ string) kind {
	switch typ {
	case "keyword", "constant_keyword", "wildcard":
		return kindKeyword
	case "text", "match_only_text", "annotated_text":
		return kindText
	case "long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long":
		return kindNumber
	case "boolean":
		return kindBool
	case "ip":
		return kindIP
	case "flattened":
		return kindFlattened
	case "date", "date_nanos":
		return kindDate
	case "object":
		return kindObject
	}
	return kindOther
}

// Resolve returns the leaf n as the Elasticsearch targets must render it on the fields m
// maps (a text field's comparisons moved to its keyword multi-field), or the diagnostic
// saying why m cannot answer it exactly (code ""; n unchanged when m is nil).
// flattenedObject says which flattened object holds a field ("" none): those fields keep
// the forms and checks of esmatch.FlattenedUnsupported.
func Resolve(n ir.Node, m *ir.IndexMapping, flattenedObject func(string) string) (out ir.Node, code diag.Code, message string) {
	if m == nil {
		return n, "", ""
	}
	if k, ok := n.(*ir.Keyword); ok {
		if m.HasText {
			return nil, TextField, fmt.Sprintf("keyword %q searches the index's default fields, and the mapping (%s) maps some of them as analysed text, whose tokens no keyword search compares exactly", k.Pattern.String(), m.Source)
		}
		return n, "", ""
	}
	if _, ok := n.(ir.Leaf); !ok {
		return n, "", ""
	}
	out = n
	for i, f := range leafFields(n) {
		if flattenedObject != nil && flattenedObject(f) != "" {
			continue
		}
		to, code, msg := resolveField(n, f, m)
		if code != "" {
			return nil, code, fmt.Sprintf("%s: %s (mapping %s)", n, msg, m.Source)
		}
		if to == f {
			continue
		}
		if i == 0 {
			out = out.(ir.Leaf).WithField(to)
		} else if r, ok := out.(*ir.FieldRef); ok {
			c := *r
			c.Ref = to
			out = &c
		}
	}
	return out, "", ""
}

// leafFields are the field of a leaf, and the referenced field of a FieldRef.
func leafFields(n ir.Node) []string {
	out := []string{ir.Field(n)}
	if r, ok := n.(*ir.FieldRef); ok {
		out = append(out, r.Ref)
	}
	return out
}

// resolveField decides the leaf n on its field f: the field to render it on, or why not.
func resolveField(n ir.Node, f string, m *ir.IndexMapping) (to string, code diag.Code, message string) {
	mf, ok := m.Fields[f]
	if !ok {
		if m.Absent != nil {
			if why, strict := m.Absent(f); why != "" {
				if strict {
					return "", Unmapped, why
				}
				return "", Unindexed, why
			}
		}
		return f, "", ""
	}
	switch {
	case mf.Conflict != "":
		return "", Conflict, fmt.Sprintf("the indices map field %s differently (%s)", f, mf.Conflict)
	case mf.Unsearchable != "":
		return "", Unindexed, fmt.Sprintf("field %s: %s", f, mf.Unsearchable)
	}
	k := kindOf(mf.Type)
	typed := fmt.Sprintf("field %s is mapped as %s", f, mf.Type)
	if presence(n) {
		switch {
		case k == kindKeyword && mf.IgnoreAbove > 0:
			return "", IgnoreAbove, fmt.Sprintf("%s with ignore_above %d, so a longer value is not indexed and a presence test misses it", typed, mf.IgnoreAbove)
		}
		// A text field indexes every value (the empty string included): presence is read
		// there, not on its keyword multi-field.
		return f, "", ""
	}
	switch k {
	case kindIP, kindFlattened, kindObject:
		// ip: esmatch.IPFieldUnsupported and the CIDR forms; flattened:
		// esmatch.FlattenedUnsupported; an object holds no value of its own, and a value
		// test on it is false in Sigma and on Elasticsearch alike.
		return f, "", ""
	case kindKeyword:
		if mf.Normalizer != "" {
			return "", FieldType, fmt.Sprintf("%s with the normalizer %s, which rewrites values and query terms before they are compared", typed, mf.Normalizer)
		}
		return keywordLeaf(n, f, mf.IgnoreAbove, typed)
	case kindText:
		if mf.Keyword == "" {
			return "", TextField, fmt.Sprintf("%s with no keyword multi-field, and its analysed tokens answer no exact, wildcard or regular-expression comparison", typed)
		}
		kt := m.Fields[mf.Keyword]
		if kt.Normalizer != "" {
			return "", FieldType, fmt.Sprintf("%s, whose keyword multi-field %s has the normalizer %s, which rewrites values and query terms before they are compared", typed, mf.Keyword, kt.Normalizer)
		}
		return keywordLeaf(n, mf.Keyword, kt.IgnoreAbove, typed+", compared on its keyword multi-field "+mf.Keyword)
	case kindNumber:
		if rounded(mf.Type) {
			// The index keeps float32, half precision or a scaled long: 9.99 is read back as
			// 9.98999977, so d >= 9.99 misses an event whose source says 9.99.
			return "", FieldType, typed + ", which indexes a rounded copy of each number, so no comparison with the numbers the events hold is exact"
		}
		switch x := n.(type) {
		case *ir.Match:
			if x.Kind == ir.Number && integral(mf.Type) && strings.ContainsAny(x.Pattern.Literal(), ".eE") {
				// Elasticsearch refuses a term with a fraction on an integer field.
				return "", FieldType, fmt.Sprintf("%s, which holds integers, and %s is not one", typed, x.Pattern.Literal())
			}
			if x.Kind == ir.Number {
				return f, "", ""
			}
		case *ir.Compare:
			return f, "", ""
		case *ir.And, *ir.CIDR, *ir.Exists, *ir.FieldRef, *ir.Keyword, *ir.Not, *ir.Null, *ir.Or, *ir.Regex, *ir.TimePart:
			// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
		}
		return "", FieldType, typed + ", which holds numbers: only a number or a numeric comparison reads it exactly"
	case kindBool:
		if x, ok := n.(*ir.Match); ok && x.Kind == ir.Bool {
			return f, "", ""
		}
		return "", FieldType, typed + ": only a boolean value reads it exactly"
	case kindDate:
		if _, ok := n.(*ir.TimePart); ok {
			return f, "", ""
		}
		return "", FieldType, typed + ", which holds instants, not the texts Sigma compares"
	}
	return "", FieldType, typed + ", which no Sigma comparison reads exactly"
}

// rounded reports whether a numeric type indexes a value rounded from the one in the source.
func rounded(typ string) bool {
	switch typ {
	case "float", "half_float", "scaled_float":
		return true
	}
	return false
}

// integral reports whether a numeric type holds integers.
func integral(typ string) bool {
	switch typ {
	case "long", "integer", "short", "byte", "unsigned_long":
		return true
	}
	return false
}

// presence reports whether n tests only that its field has a value.
func presence(n ir.Node) bool {
	switch x := n.(type) {
	case *ir.Exists, *ir.Null:
		return true
	case *ir.Match:
		return x.Kind == ir.String && x.Pattern.Shape() == ir.ShapeAny
	case *ir.And, *ir.CIDR, *ir.Compare, *ir.FieldRef, *ir.Keyword, *ir.Not, *ir.Or, *ir.Regex, *ir.TimePart:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	return false
}

// keywordLeaf decides a value leaf on a keyword field kf (the field itself, or its multi-field)
// with ignore_above limit (0: none).
func keywordLeaf(n ir.Node, kf string, limit int, typed string) (string, diag.Code, string) {
	switch x := n.(type) {
	case *ir.Compare:
		return "", FieldType, typed + ", which compares values as strings, not numbers"
	case *ir.TimePart:
		return "", FieldType, typed + ", which holds texts, not instants"
	case *ir.Match:
		if limit == 0 {
			return kf, "", ""
		}
		if x.Kind != ir.String || x.Pattern.Shape() == ir.ShapeExact {
			need := maxUTF16(x.Pattern.Literal(), x.Cased || x.Kind != ir.String)
			if need <= limit {
				return kf, "", ""
			}
			return "", IgnoreAbove, fmt.Sprintf("%s, whose ignore_above %d leaves values of more than %d characters unindexed, and the value is %d long", typed, limit, limit, need)
		}
	case *ir.Regex, *ir.CIDR, *ir.FieldRef:
	case *ir.And, *ir.Exists, *ir.Keyword, *ir.Not, *ir.Null, *ir.Or:
		// no case of its own (listed for the exhaustiveness lint, .ci/lint.sh)
	}
	if limit == 0 {
		return kf, "", ""
	}
	return "", IgnoreAbove, fmt.Sprintf("%s, whose ignore_above %d leaves values of more than %d characters unindexed, and a value that long could match", typed, limit, limit)
}

// maxUTF16 is the most UTF-16 code units (what ignore_above counts) a value equal to s has:
// s's own length, or with every rune replaced by the longest one of its case orbit.
func maxUTF16(s string, cased bool) int {
	n := 0
	for _, r := range s {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1 // an invalid rune is read as U+FFFD
		}
		if !cased {
			for o := unicode.SimpleFold(r); o != r; o = unicode.SimpleFold(o) {
				w = max(w, utf16.RuneLen(o))
			}
		}
		n += w
	}
	return n
}
