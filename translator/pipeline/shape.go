package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Shape is the event transform that goes with a pipeline: what the deployment the pipeline is
// written for does to an event of a rule's log source before a query reads it. A pipeline
// rewrites a rule into the deployment's field names; Shape rewrites a raw event (a sample, in
// the vendor's own field names) into the same deployment, so the pipeline-applied rule can be
// run on it, as `check -p` does. It is not written separately: it is read from the same
// items of the pipeline that apply to the rule, in the same order, each read the other way:
//
//   - field_name_mapping moves the value at each source name to each target name (a target
//     that only adds Splunk's `{}` array marks to the source is layout, below);
//   - field_name_prefix_mapping moves the object under each source prefix to the target
//     prefix (a source without a trailing dot is one field);
//   - field_name_prefix nests the whole event under the prefix (`data.` for the Splunk Add-on
//     for Google Cloud's Pub/Sub wrapper);
//   - sigmabridge_flattened_object stores the object under its prefix as Elasticsearch's
//     `flattened` type does, every leaf a string (numbers in their JSON text, booleans
//     "true"/"false"), and, with rendered_field, also as one string rendered like a Java map,
//     `{key=value, other={nested=value}, list=[a, b]}`, keys in sorted order;
//   - map_string replaces a string value equal to a key with the key's first value, and
//     convert_type turns values into strings (str) or numbers (num), on the fields its field
//     name conditions select (none: no field);
//   - sigmabridge_missing_field_sentinel stores an absent field as the sentinel;
//   - when some field_name_mapping or field_name_prefix_mapping target holds `{}`, the deployment is Splunk's JSON field
//     extraction, which names every array `key{}`: after the other operations, every key that
//     holds an array gets the mark (Layout "splunk-arrays").
//
// Every other item changes the rule only (state, conditions, placeholders, failures).
// A value moved from under an array is moved as the list of its values (the objects of the
// array keep their other keys): a rule matches any element of a list, so this keeps what a
// single-field leaf matches, not which values stood in the same element.
// A Shape is immutable; Apply may be called from many goroutines.
type Shape struct {
	ops []boundOp
	// Layout names the deployment's layout rule applied last ("" or "splunk-arrays").
	Layout string
	// Notes name the applied items whose effect on events Shape cannot mirror
	// (field_name_suffix); the events keep those fields as they are.
	Notes []string
}

// LayoutSplunkArrays is the layout of Splunk's JSON extraction: arrays named `key{}`.
const LayoutSplunkArrays = "splunk-arrays"

type opKind uint8

const (
	opNone opKind = iota
	opRename
	opRenamePrefix
	opWrap
	opFlatten
	opMapValues
	opConvert
	opSentinel
	opUnsupported
)

// shapeOp is what one transformation does to an event.
type shapeOp struct {
	kind  opKind
	pairs []mappingPair
	// text is the prefix (opWrap), the target type (opConvert), the sentinel (opSentinel)
	// or the transformation's name (opUnsupported).
	text string
	// path is the object (opFlatten) or the field (opSentinel); rendered the string field
	// the object is also rendered into.
	path, rendered string
}

// boundOp is an operation with the item's field name conditions, evaluated for the rule.
type boundOp struct {
	shapeOp
	field func(name string) bool
}

// shaper is a transformation that changes events in the deployment.
type shaper interface{ shapeOf() shapeOp }

func (t fieldNameTransform) shapeOf() shapeOp { return t.shape }
func (t mapString) shapeOf() shapeOp          { return shapeOp{kind: opMapValues, pairs: t.pairs} }
func (t convertType) shapeOf() shapeOp        { return shapeOp{kind: opConvert, text: t.target} }
func (t missingFieldSentinel) shapeOf() shapeOp {
	return shapeOp{kind: opSentinel, path: t.field, text: t.sentinel}
}
func (t flattenedObject) shapeOf() shapeOp {
	return shapeOp{kind: opFlatten, path: strings.TrimSuffix(t.prefix, "."), rendered: t.renderedField}
}

// Shape returns the event transform of r's log source in the deployment p is written for: the
// items of p that apply to r (their rule conditions evaluated as Apply evaluates them), read
// as operations on an event. A nil pipeline gives the identity.
func (p *Pipeline) Shape(r *ir.Rule) *Shape {
	s := &Shape{}
	if p == nil {
		return s
	}
	ctx := newApplyCtx(p, r)
	for _, it := range p.Items {
		if !it.matchRule(ctx) {
			continue
		}
		if sh, ok := it.transform.(shaper); ok {
			op := sh.shapeOf()
			switch op.kind {
			case opNone:
			case opUnsupported:
				s.Notes = append(s.Notes, fmt.Sprintf("item %q (%s): its effect on events is not mirrored", it.ID, op.text))
			default:
				item, c := it, ctx
				b := boundOp{shapeOp: op, field: func(name string) bool { return item.matchField(c, name) }}
				if op.kind == opMapValues || op.kind == opConvert {
					// A value operation without field name conditions would touch every
					// field: it is read as touching none.
					b.field = func(name string) bool {
						return len(item.fieldConds.conds) > 0 && item.matchField(c, name)
					}
				}
				if (op.kind == opRename || op.kind == opRenamePrefix) && s.Layout == "" {
					for _, pr := range op.pairs {
						for _, t := range pr.to {
							if strings.Contains(t, "{}") {
								s.Layout = LayoutSplunkArrays
							}
						}
					}
				}
				s.ops = append(s.ops, b)
			}
		}
		it.transform.apply(ctx, it)
		if it.ID != "" {
			ctx.applied[it.ID] = true
		}
		if ctx.stopped {
			break
		}
	}
	return s
}

// Identity reports whether the shape leaves every event as it is.
func (s *Shape) Identity() bool { return s == nil || (len(s.ops) == 0 && s.Layout == "") }

// Apply returns event (one JSON object) in the deployment's shape. An event that is not one
// JSON object is returned unchanged, for the detector to refuse as it would the original.
func (s *Shape) Apply(event []byte) ([]byte, error) {
	if s.Identity() {
		return event, nil
	}
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return event, nil
	}
	if _, err := dec.Token(); err != io.EOF {
		return event, nil // more than one JSON value
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return event, nil
	}
	for _, op := range s.ops {
		doc = op.do(doc)
	}
	if s.Layout == LayoutSplunkArrays {
		markArrays(doc)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("shaping an event: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// ApplyAll shapes a batch of events.
func (s *Shape) ApplyAll(events [][]byte) ([][]byte, error) {
	if s.Identity() {
		return events, nil
	}
	out := make([][]byte, len(events))
	for i, e := range events {
		b, err := s.Apply(e)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i+1, err)
		}
		out[i] = b
	}
	return out, nil
}

func (op boundOp) do(doc map[string]any) map[string]any {
	switch op.kind {
	case opRename:
		for _, pr := range op.pairs {
			if pr.keyword || !op.field(pr.from) || layoutOnly(pr.from, pr.to) {
				continue
			}
			move(doc, pr.from, pr.to)
		}
	case opRenamePrefix:
		for _, pr := range op.pairs {
			from, ok := strings.CutSuffix(pr.from, ".")
			if !ok {
				// A source without its trailing dot names one field (or a name prefix,
				// which events do not have as a unit).
				if op.field(pr.from) && !layoutOnly(pr.from, pr.to) {
					move(doc, pr.from, pr.to)
				}
				continue
			}
			if layoutOnly(pr.from, pr.to) {
				continue
			}
			to := make([]string, len(pr.to))
			for i, t := range pr.to {
				to[i] = strings.TrimSuffix(t, ".")
			}
			move(doc, from, to)
		}
	case opWrap:
		out := map[string]any{}
		// In key order: keys that collide once prefixed (a key "" and a key ".x") resolve
		// the same way every time.
		for _, k := range sortedKeys(doc) {
			set(out, op.text+k, doc[k])
		}
		return out
	case opFlatten:
		v, ok := lookup(doc, op.path)
		if !ok {
			break
		}
		if op.rendered != "" {
			set(doc, op.rendered, renderJavaMap(v))
		}
		set(doc, op.path, stringLeaves(v))
	case opMapValues:
		eachLeaf(doc, "", func(name string, v any) (any, bool) {
			s, ok := scalarText(v)
			if !ok || !op.field(name) {
				return nil, false
			}
			for _, pr := range op.pairs {
				if !pr.keyword && pr.from == s && len(pr.to) > 0 {
					return pr.to[0], true
				}
			}
			return nil, false
		})
	case opConvert:
		eachLeaf(doc, "", func(name string, v any) (any, bool) {
			if !op.field(name) {
				return nil, false
			}
			switch op.text {
			case "str":
				if s, ok := scalarText(v); ok {
					return s, true
				}
			case "num":
				if s, ok := v.(string); ok {
					if _, err := strconv.ParseFloat(s, 64); err == nil {
						return json.Number(s), true
					}
				}
			}
			return nil, false
		})
	case opSentinel:
		if _, ok := lookup(doc, op.path); !ok {
			set(doc, op.path, op.text)
		}
	case opNone, opUnsupported:
	}
	return doc
}

// layoutOnly reports whether every target differs from the source by Splunk `{}` marks only.
func layoutOnly(from string, to []string) bool {
	for _, t := range to {
		if strings.ReplaceAll(t, "{}", "") != strings.ReplaceAll(from, "{}", "") {
			return false
		}
	}
	return len(to) > 0
}

// move takes the value at path from out of doc and sets it at every target (their `{}`
// marks removed: the layout adds them back where the value is an array).
func move(doc map[string]any, from string, to []string) {
	v, ok := take(doc, strings.Split(from, "."))
	if !ok {
		return
	}
	for i, t := range to {
		if i > 0 {
			v = deepCopy(v)
		}
		set(doc, strings.ReplaceAll(t, "{}", ""), v)
	}
}

// take removes the value at the path from node and returns it. A dotted path addresses
// nested objects and keys holding dots (the evaluator's reading, translator/evaluator/doc.go);
// through an array it takes the value from every element and returns them as one list.
func take(node any, segs []string) (any, bool) {
	switch n := node.(type) {
	case map[string]any:
		for k := 1; k <= len(segs); k++ {
			key := strings.Join(segs[:k], ".")
			child, ok := n[key]
			if !ok {
				continue
			}
			if k == len(segs) {
				delete(n, key)
				return child, true
			}
			if v, ok := take(child, segs[k:]); ok {
				if emptied(child) {
					delete(n, key)
				}
				return v, true
			}
		}
	case []any:
		var vals []any
		found := false
		for _, e := range n {
			if v, ok := take(e, segs); ok {
				found = true
				if l, isList := v.([]any); isList {
					vals = append(vals, l...)
				} else {
					vals = append(vals, v)
				}
			}
		}
		return vals, found
	}
	return nil, false
}

// emptied reports whether a value is an object with no key left, or a list of such.
func emptied(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return len(x) == 0
	case []any:
		for _, e := range x {
			if !emptied(e) {
				return false
			}
		}
		return true
	}
	return false
}

// lookup returns the value at path in doc without removing it (the object itself, not a
// copy, when no array is crossed).
func lookup(doc map[string]any, path string) (any, bool) {
	var walk func(node any, segs []string) (any, bool)
	walk = func(node any, segs []string) (any, bool) {
		m, ok := node.(map[string]any)
		if !ok {
			return nil, false
		}
		for k := 1; k <= len(segs); k++ {
			child, ok := m[strings.Join(segs[:k], ".")]
			if !ok {
				continue
			}
			if k == len(segs) {
				return child, true
			}
			if v, ok := walk(child, segs[k:]); ok {
				return v, true
			}
		}
		return nil, false
	}
	return walk(doc, strings.Split(path, "."))
}

// set stores v at the dotted path, creating objects on the way (a scalar in the way is
// replaced by an object) and merging two objects key by key.
func set(doc map[string]any, path string, v any) {
	segs := strings.Split(path, ".")
	m := doc
	for _, s := range segs[:len(segs)-1] {
		next, ok := m[s].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[s] = next
		}
		m = next
	}
	last := segs[len(segs)-1]
	if old, ok := m[last].(map[string]any); ok {
		if nv, ok := v.(map[string]any); ok {
			for k, x := range nv {
				old[k] = x
			}
			return
		}
	}
	m[last] = v
}

// eachLeaf calls f with the dotted name and value of every scalar in node (arrays are
// transparent), and stores f's result where it reports a change.
func eachLeaf(node any, name string, f func(name string, v any) (any, bool)) {
	join := func(k string) string {
		if name == "" {
			return k
		}
		return name + "." + k
	}
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			switch v.(type) {
			case map[string]any, []any:
				eachLeaf(v, join(k), f)
			default:
				if nv, ok := f(join(k), v); ok {
					n[k] = nv
				}
			}
		}
	case []any:
		for i, v := range n {
			switch v.(type) {
			case map[string]any, []any:
				eachLeaf(v, name, f)
			default:
				if nv, ok := f(name, v); ok {
					n[i] = nv
				}
			}
		}
	}
}

// scalarText is a string, number or boolean as text.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// stringLeaves returns v with every number and boolean made a string, as a flattened field
// indexes them.
func stringLeaves(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = stringLeaves(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stringLeaves(e)
		}
		return out
	}
	if s, ok := scalarText(v); ok {
		return s
	}
	return v
}

// renderJavaMap renders v as the Elastic CloudTrail data stream's string copies of
// requestParameters and responseElements: `{k=v, k2={...}, k3=[a, b]}`, keys sorted.
func renderJavaMap(v any) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(k)
				b.WriteByte('=')
				walk(x[k])
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					b.WriteString(", ")
				}
				walk(e)
			}
			b.WriteByte(']')
		case nil:
			b.WriteString("null")
		default:
			s, _ := scalarText(x)
			b.WriteString(s)
		}
	}
	walk(v)
	return b.String()
}

// markArrays renames every key that holds an array to `key{}`, at every depth, as Splunk's
// JSON field extraction names them.
func markArrays(node any) {
	switch n := node.(type) {
	case map[string]any:
		for _, k := range sortedKeys(n) {
			v := n[k]
			markArrays(v)
			if _, ok := v.([]any); ok && !strings.HasSuffix(k, "{}") {
				delete(n, k)
				n[k+"{}"] = v
			}
		}
	case []any:
		for _, e := range n {
			markArrays(e)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
