package eql_test

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// dialectDifference is one way Elastic's Python EQL engine departs from Elasticsearch's EQL.
// DIALECT.md holds the same table for readers; TestEngineDialectTable keeps the two equal.
type dialectDifference struct {
	// construct is the EQL the difference is about.
	construct string
	// elasticsearch and python say what each does with it.
	elasticsearch, python string
	// why says why the output stays written for Elasticsearch.
	why string
	// bridged differences are undone by testdata/engine.py, so they never show in the
	// comparison; the others are recognised per event by explains.
	bridged bool
	// explains reports whether the difference accounts for the engine and the evaluator
	// disagreeing on ev (evaluator and engine are their verdicts) for condition tree cond.
	explains func(cond ir.Node, ev any, evaluator, engine bool) bool
	// checked differences are also undone in testdata/engine.py's second run (matches_es):
	// the difference explains an event only when that run agrees with the evaluator on it.
	checked bool
	// sequence differences are about a sequence's alerts rather than one event; they are
	// recognised per alert in engine_correlation_test.go (sequenceConsumesEvents).
	sequence bool
}

// dialectDifferences is keyed by the difference's name.
var dialectDifferences = map[string]dialectDifference{
	"case-folding-operators": {
		construct:     "`==`, `in`, `like`, `regex` against `:`, `like~`, `regex~`",
		elasticsearch: "compares `==`, `in`, `like` and `regex` case-sensitively and folds case only for `:`, `like~` and `regex~`",
		python:        "folds case in every string comparison (a global switch), and its parser reads `like~` as `like` and `regex~` as `regex`, dropping the `~`",
		why:           "the converter relies on the case-sensitive operators for `|cased` and for the letters it spells out as classes; the driver turns the engine's folding off and sends the three folding operators to folding functions",
		bridged:       true,
	},
	"wildcard-question-mark": {
		construct:     "`?` in a `:` or `like` pattern",
		elasticsearch: "one character",
		python:        "a literal `?` (only `*` is a wildcard)",
		why:           "the converter writes Sigma's `?` as EQL's `?`; the driver reads `?` as one character",
		bridged:       true,
	},
	"regex-whole-value": {
		construct:     "`regex`, `regex~`",
		elasticsearch: "Lucene regular expressions, which match the whole value",
		python:        "Python's re.match, anchored at the start only",
		why:           "the converter writes regexes for the whole value as Elasticsearch reads them; the driver matches with re.fullmatch",
		bridged:       true,
	},
	"escaped-dotted-names": {
		construct:     "a backticked field name with dots, e.g. `` `headers.x-ms-mail-application` ``",
		elasticsearch: "the field headers.x-ms-mail-application, which is the path headers then x-ms-mail-application of the mapping",
		python:        "one key named `headers.x-ms-mail-application` at the top of the event",
		why:           "Elasticsearch names every field by its full dotted path; the driver splits the name at its dots",
		bridged:       true,
	},
	"null-under-not": {
		construct:     "`not` over a comparison of a field the event lacks, e.g. `not c == 1` on an event without c",
		elasticsearch: "runs the condition as a Query DSL filter (`not` becomes bool must_not), which keeps documents without the field: true, as Sigma's `not` is",
		python:        "three-valued logic: the comparison is null, `not null` is null, and the event does not match",
		why:           "Sigma's `not` is true for an absent field (the evaluator, and every other target on the live node); writing `?c == null or not c == 1` would only restate what Elasticsearch already does",
		checked:       true,
		explains: func(cond ir.Node, ev any, evaluator, engine bool) bool {
			if !evaluator || engine {
				return false
			}
			missing := false
			ir.Inspect(cond, func(n ir.Node) bool {
				if not, ok := n.(*ir.Not); ok {
					for _, f := range leafFields(not.Child) {
						if _, ok := lookupNested(ev, f); !ok {
							missing = true
						}
					}
					return false
				}
				return true
			})
			return missing
		},
	},
	"multi-valued-fields": {
		construct:     "any comparison on a field whose value is a JSON array, e.g. `tags : \"prod\"` on `{\"tags\": [\"prod\", \"pci\"]}`",
		elasticsearch: "indexes each element (and each object of an array of objects on the path) as a value of the field; a comparison is true when one value satisfies it, and an empty array (or one of nulls) is an absent field",
		python:        "compares the array itself with the literal (false, or a TypeError for `in`), and `?f != null` is true for `[]`",
		why:           "Sigma (and the evaluator) match a list field when one element matches, as Elasticsearch does",
		checked:       true,
		explains: func(cond ir.Node, ev any, _, _ bool) bool {
			for _, f := range leafFields(cond) {
				if pathHasArray(ev, f) {
					return true
				}
			}
			return false
		},
	},
	"dotted-keys": {
		construct:     "a field path `a.b.c` on an event whose JSON spells part of it as one key, e.g. `{\"a.b\": {\"c\": \"x\"}}`",
		elasticsearch: "expands dots in keys into objects when indexing, so `{\"a.b\": {\"c\": 1}}` and `{\"a\": {\"b\": {\"c\": 1}}}` are the same document",
		python:        "looks keys up one path element at a time and finds no key `a`",
		why:           "the evaluator reads dotted keys as Elasticsearch stores them",
		checked:       true,
		explains: func(cond ir.Node, ev any, _, _ bool) bool {
			return hasDottedKey(ev)
		},
	},
	"mapped-types": {
		construct:     "a string compared with a number, or a number with a string, e.g. `count > 10` on `{\"count\": \"12\"}`, `EventID : \"4688\"` on `{\"EventID\": 4688}`",
		elasticsearch: "compares the value as the field's mapping stores it: a numeric field coerces \"12\" to 12, a keyword field stores 4688 as the text \"4688\"",
		python:        "compares JSON values by their JSON type: a string is never greater than a number, `:` only matches strings",
		why:           "Sigma compares numbers and text across JSON types (README.md, \"What a query means\"), which is what an index mapped for the rule does",
		explains: func(cond ir.Node, ev any, _, _ bool) bool {
			return typeMismatch(cond, ev, false)
		},
		checked: true,
	},
	"sequence-consumes-events": {
		construct:     "`sequence [a] by k [b] by k` over a, b, b of one key within maxspan (temporal_ordered)",
		elasticsearch: "a sequence uses each event once: a, b, b gives one sequence, [a, b]; the second b finds no pending a",
		python:        "the same as Elasticsearch",
		why:           "no EQL form reports every window that ends with an event of the last rule, as the evaluator's temporal_ordered does (a, b, b raises two alerts); the sequence query is the only temporal_ordered form EQL has, and it finds the first alert of every such run",
		sequence:      true,
	},
	"boolean-strings": {
		construct:     "a boolean literal against a string value, e.g. `readOnly == false` on `{\"readOnly\": \"False\"}`",
		elasticsearch: "depends on the mapping: a boolean field takes only \"true\" and \"false\" (and refuses the document otherwise); a field that was mapped from the string is keyword, where the comparison with a boolean is not documented",
		python:        "a string never equals a boolean",
		why:           "Sigma's boolean values match the strings \"true\"/\"false\" in any case (the evaluator, translator/evaluator/doc.go); no EQL expression is both valid and exact for every mapping, so the output keeps the boolean literal a boolean field needs",
		explains: func(cond ir.Node, ev any, _, _ bool) bool {
			return typeMismatch(cond, ev, true)
		},
	},
}

// typeMismatch reports whether a leaf of cond meets a scalar of another JSON kind than its
// value's at its field in ev: with bools, a boolean value against a string; otherwise a
// string against a number, or a number (or boolean) against a string pattern.
func typeMismatch(cond ir.Node, ev any, bools bool) bool {
	mismatch := false
	ir.Inspect(cond, func(n ir.Node) bool {
		var f string
		wantString, isBool := false, false
		switch x := n.(type) {
		case *ir.Match:
			f, wantString, isBool = x.Field, x.Kind == ir.String, x.Kind == ir.Bool
		case *ir.Regex, *ir.CIDR:
			f, wantString = ir.Field(n), true
		case *ir.Compare:
			f = x.Field
		case *ir.And, *ir.Or, *ir.Not, *ir.Exists, *ir.Null, *ir.FieldRef, *ir.Keyword, *ir.TimePart:
			return true
		}
		if isBool != bools {
			return true
		}
		v, ok := lookupNested(ev, f)
		if !ok || v == nil {
			return true
		}
		_, isString := v.(string)
		_, isArray := v.([]any)
		_, isObject := v.(map[string]any)
		if !isArray && !isObject && isString != wantString {
			mismatch = true
		}
		return true
	})
	return mismatch
}

// leafFields lists the fields the leaves of n read.
func leafFields(n ir.Node) []string {
	var out []string
	ir.Inspect(n, func(c ir.Node) bool {
		if f := ir.Field(c); f != "" {
			out = append(out, f)
		}
		return true
	})
	return out
}

// lookupNested finds field f of ev one dotted path element at a time, as the Python engine
// does; it goes through no array.
func lookupNested(ev any, f string) (any, bool) {
	v := ev
	for _, part := range strings.Split(f, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

// pathHasArray reports whether following field f from ev meets a JSON array: at the field
// itself or at an object on its path.
func pathHasArray(ev any, f string) bool {
	v := ev
	for _, part := range strings.Split(f, ".") {
		if _, ok := v.([]any); ok {
			return true
		}
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[part]; !ok {
			return false
		}
	}
	_, ok := v.([]any)
	return ok
}

// hasDottedKey reports whether some object of v has a key with a dot in it.
func hasDottedKey(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if strings.Contains(k, ".") || hasDottedKey(c) {
				return true
			}
		}
	case []any:
		for _, c := range x {
			if hasDottedKey(c) {
				return true
			}
		}
	}
	return false
}

// decodeEvent decodes one event for the explainers (numbers stay json.Number).
func decodeEvent(data []byte) any {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil
	}
	return v
}
