package esmapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// MaxFileBytes bounds a mapping file: a cluster's mapping of thousands of fields is a few
// megabytes.
const MaxFileBytes = 64 << 20

// ReadFile reads a GET _mapping answer from a file. Every error names the file.
func ReadFile(path string) (*ir.IndexMapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("mapping %s: larger than %d MiB", path, MaxFileBytes>>20)
	}
	m, err := Read(path, data)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	return m, nil
}

// Read reads a GET _mapping answer: an object whose keys are index names, each with a
// "mappings" object. source names where it came from (a file, an index pattern), for
// diagnostics; the error does not repeat it.
func Read(source string, data []byte) (*ir.IndexMapping, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a JSON object as GET index/_mapping answers: %v", jsonError(data, err))
	}
	if dec.More() {
		return nil, errors.New("not one JSON object: more follows it")
	}
	if len(raw) == 0 {
		return nil, errors.New("no index in it (GET index/_mapping answers {\"INDEX\": {\"mappings\": {...}}})")
	}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	var idx []*index
	for _, name := range names {
		var body map[string]any
		d := json.NewDecoder(bytes.NewReader(raw[name]))
		d.UseNumber()
		if err := d.Decode(&body); err != nil || body == nil {
			return nil, fmt.Errorf("index %q: not an object with a \"mappings\" object", name)
		}
		mappings, ok := body["mappings"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("index %q: no \"mappings\" object (is this the answer of GET index/_mapping?)", name)
		}
		x, err := readIndex(name, mappings)
		if err != nil {
			return nil, fmt.Errorf("index %q: %v", name, err)
		}
		idx = append(idx, x)
	}
	return merge(source, idx), nil
}

// jsonError adds the line of a syntax error.
func jsonError(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 && se.Offset <= int64(len(data)) {
		return fmt.Sprintf("line %d: %v", bytes.Count(data[:se.Offset], []byte("\n"))+1, err)
	}
	return err.Error()
}

// field is one field of one index.
type field struct {
	typ         string
	keyword     string // text: the keyword multi-field's path
	ignoreAbove int
	normalizer  string
	unindexed   string // why its values are not indexed
	alias       string // the path an alias points at
}

// object is an object path of one index: how it treats fields it does not map.
type object struct {
	dynamic  string // "true", "false", "strict", "runtime"; "" inherits
	disabled bool   // enabled: false
	nested   bool
}

// index is one index's mapping.
type index struct {
	name    string
	fields  map[string]field
	objects map[string]object // "" is the root
	stops   map[string]string // flattened objects
}

func readIndex(name string, mappings map[string]any) (*index, error) {
	x := &index{name: name, fields: map[string]field{}, objects: map[string]object{}, stops: map[string]string{}}
	root := object{dynamic: "true"}
	if d, ok := dynamicOf(mappings["dynamic"]); ok {
		root.dynamic = d
	}
	x.objects[""] = root
	if props, ok := mappings["properties"]; ok {
		p, ok := props.(map[string]any)
		if !ok {
			return nil, errors.New("\"properties\" is not an object")
		}
		if err := x.walk(p, ""); err != nil {
			return nil, err
		}
	}
	if rt, ok := mappings["runtime"].(map[string]any); ok {
		for name, v := range rt {
			def, _ := v.(map[string]any)
			typ, _ := def["type"].(string)
			if typ == "" {
				return nil, fmt.Errorf("runtime field %q has no type", name)
			}
			x.fields[name] = field{typ: typ}
		}
	}
	// Aliases read their target's type.
	for p, f := range x.fields {
		if f.typ != "alias" {
			continue
		}
		t, ok := x.fields[f.alias]
		if !ok || t.typ == "alias" {
			return nil, fmt.Errorf("field %q is an alias of %q, which is not a mapped field", p, f.alias)
		}
		x.fields[p] = t
	}
	return x, nil
}

func dynamicOf(v any) (string, bool) {
	switch v := v.(type) {
	case bool:
		if v {
			return "true", true
		}
		return "false", true
	case string:
		switch v {
		case "true", "false", "strict", "runtime":
			return v, true
		}
	}
	return "", false
}

func (x *index) walk(props map[string]any, prefix string) error {
	for name, v := range props {
		def, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("field %q: its definition is not an object", prefix+name)
		}
		path := prefix + name
		typ, _ := def["type"].(string)
		if _, has := def["type"]; has && typ == "" {
			return fmt.Errorf("field %q: \"type\" is not a string", path)
		}
		sub, hasProps := def["properties"].(map[string]any)
		switch {
		case typ == "" || typ == "object" || typ == "nested":
			o := object{nested: typ == "nested", disabled: def["enabled"] == false}
			if d, ok := dynamicOf(def["dynamic"]); ok {
				o.dynamic = d
			}
			x.objects[path] = o
			if hasProps {
				if err := x.walk(sub, path+"."); err != nil {
					return err
				}
			}
			continue
		case typ == "flattened":
			x.stops[path] = typ
		}
		f := field{typ: typ}
		if typ == "alias" {
			f.alias, _ = def["path"].(string)
		}
		if def["index"] == false {
			f.unindexed = "it is mapped with index: false"
		}
		if n, err := ignoreAbove(def); err != nil {
			return fmt.Errorf("field %q: %v", path, err)
		} else if n > 0 && typ == "keyword" {
			f.ignoreAbove = n
		}
		f.normalizer, _ = def["normalizer"].(string)
		if mf, ok := def["fields"].(map[string]any); ok {
			subs := make([]string, 0, len(mf))
			for s := range mf {
				subs = append(subs, s)
			}
			// The multi-field named keyword first, then by name: which one a text field is
			// compared on must not depend on map order.
			slices.SortFunc(subs, func(a, b string) int {
				if (a == "keyword") != (b == "keyword") {
					if a == "keyword" {
						return -1
					}
					return 1
				}
				return strings.Compare(a, b)
			})
			for _, s := range subs {
				sdef, ok := mf[s].(map[string]any)
				if !ok {
					return fmt.Errorf("multi-field %q: its definition is not an object", path+"."+s)
				}
				st, _ := sdef["type"].(string)
				sf := field{typ: st}
				if sdef["index"] == false {
					sf.unindexed = "it is mapped with index: false"
				}
				n, err := ignoreAbove(sdef)
				if err != nil {
					return fmt.Errorf("multi-field %q: %v", path+"."+s, err)
				}
				sf.normalizer, _ = sdef["normalizer"].(string)
				if st == "keyword" {
					sf.ignoreAbove = n
					if f.keyword == "" && sf.unindexed == "" {
						f.keyword = path + "." + s
					}
				}
				x.fields[path+"."+s] = sf
			}
		}
		x.fields[path] = f
	}
	return nil
}

func ignoreAbove(def map[string]any) (int, error) {
	v, ok := def["ignore_above"]
	if !ok {
		return 0, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("ignore_above %v is not a number", v)
	}
	i, err := n.Int64()
	if err != nil || i < 0 || i > 1<<31-1 {
		return 0, fmt.Errorf("ignore_above %v is not a non-negative integer", v)
	}
	return int(i), nil
}

// absent says why this index cannot answer a query on a path it does not map, or "" when it
// holds no indexed value there (strict says the index refuses the field altogether).
func (x *index) absent(path string) (why string, strict bool) {
	dynamic := ""
	// The nearest mapped ancestor decides; a field below a scalar cannot exist, and a
	// flattened object's keys are answered by the flattened forms.
	for p := path; ; {
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			p = ""
		} else {
			p = p[:i]
		}
		if _, ok := x.stops[p]; ok && p != "" {
			return "", false
		}
		if _, ok := x.fields[p]; ok && p != "" {
			return "", false
		}
		if o, ok := x.objects[p]; ok {
			switch {
			case o.disabled:
				return fmt.Sprintf("index %s maps %s with enabled: false, which keeps every value below it unindexed", x.name, orRoot(p)), false
			case o.nested:
				return fmt.Sprintf("index %s maps %s as nested, whose fields only a nested query reads", x.name, p), false
			}
			if dynamic == "" {
				dynamic = o.dynamic
			}
		}
		if p == "" {
			break
		}
	}
	switch dynamic {
	case "false":
		return fmt.Sprintf("index %s does not map %s, and dynamic: false keeps unmapped values unindexed", x.name, path), false
	case "strict":
		return "", true
	}
	return "", false
}

func orRoot(p string) string {
	if p == "" {
		return "the whole document"
	}
	return p
}

// under reports whether path is below an object of x that keeps its fields out of reach
// (enabled: false, nested), and why.
func (x *index) under(path string) string {
	for p := path; ; {
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			return ""
		}
		p = p[:i]
		if o, ok := x.objects[p]; ok {
			if o.disabled {
				return fmt.Sprintf("index %s maps %s with enabled: false", x.name, p)
			}
			if o.nested {
				return fmt.Sprintf("index %s maps %s as nested, whose fields only a nested query reads", x.name, p)
			}
		}
	}
}

// merge combines the indices' mappings: one type per field, or a conflict naming them.
func merge(source string, idx []*index) *ir.IndexMapping {
	m := &ir.IndexMapping{Source: source, Fields: map[string]ir.MappedField{}}
	paths := map[string]bool{}
	for _, x := range idx {
		for p := range x.fields {
			paths[p] = true
		}
	}
	ips, flat := map[string]bool{}, map[string]bool{}
	for p := range paths {
		var mf ir.MappedField
		var types []string
		first := true
		for _, x := range idx {
			f, ok := x.fields[p]
			if !ok {
				if why, _ := x.absent(p); why != "" && mf.Unsearchable == "" {
					mf.Unsearchable = why
				}
				continue
			}
			types = append(types, x.name+": "+f.typ)
			if why := x.under(p); why != "" && mf.Unsearchable == "" {
				mf.Unsearchable = why
			}
			if f.unindexed != "" && mf.Unsearchable == "" {
				mf.Unsearchable = "index " + x.name + " keeps its values unindexed: " + f.unindexed
			}
			if f.normalizer != "" && mf.Normalizer == "" {
				mf.Normalizer = x.name + ": " + f.normalizer
			}
			if first {
				mf.Type, mf.Keyword, mf.IgnoreAbove = f.typ, f.keyword, f.ignoreAbove
				first = false
				continue
			}
			if f.typ != mf.Type {
				mf.Conflict = "x"
			}
			if f.keyword != mf.Keyword {
				mf.Keyword = "" // some index lacks it, or names it otherwise
			}
			if f.ignoreAbove > 0 && (mf.IgnoreAbove == 0 || f.ignoreAbove < mf.IgnoreAbove) {
				mf.IgnoreAbove = f.ignoreAbove
			}
		}
		if mf.Conflict != "" {
			mf.Conflict, mf.Type = strings.Join(types, ", "), ""
		}
		switch mf.Type {
		case "ip":
			ips[p] = true
		case "flattened":
			flat[p] = true
		case "text", "match_only_text", "annotated_text":
			m.HasText = true
		}
		m.Fields[p] = mf
	}
	m.IP, m.Flattened = sortedKeys(ips), sortedKeys(flat)
	m.Absent = func(path string) (string, bool) {
		strict := 0
		for _, x := range idx {
			why, s := x.absent(path)
			if why != "" {
				return why, false
			}
			if s {
				strict++
			}
		}
		if strict == len(idx) {
			return fmt.Sprintf("no index maps %s, and every index is dynamic: strict, so no document can hold it (is the field name right?)", path), true
		}
		return "", false
	}
	return m
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// LiftIgnoreAbove drops the ignore_above of the keyword fields (multi-fields included) not
// in ignored: the fields for which some document had a value left unindexed (Elasticsearch's
// _ignored metadata field). Where no value was ignored, the limit dropped nothing, and a
// query on the field is exact for the documents indexed so far. m is changed in place.
func LiftIgnoreAbove(m *ir.IndexMapping, ignored []string) {
	skip := make(map[string]bool, len(ignored))
	for _, f := range ignored {
		skip[f] = true
	}
	for p, f := range m.Fields {
		if f.IgnoreAbove > 0 && !skip[p] {
			f.IgnoreAbove = 0
			m.Fields[p] = f
		}
	}
}
