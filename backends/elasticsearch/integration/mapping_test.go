package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// fixedMapping is what an index mapping says before any document arrives: the paths it maps
// explicitly (their type does not depend on the documents) and the paths below which
// documents are not mapped field by field (flattened and nested fields, objects with
// subobjects: false).
type fixedMapping struct {
	explicit map[string]string // path -> type
	stops    map[string]string // path -> flattened | nested | subobjects:false
	// typed gives scalar values at a path the type the rule reads them as (keyword for
	// text, double with ignore_malformed for comparisons) instead of their JSON type's: a
	// real index has one type per field, and it is the one the rule is written for.
	typed map[string]string
}

func (m fixedMapping) stopAt(path string) (string, bool) {
	for p, kind := range m.stops {
		if path == p || strings.HasPrefix(path, p+".") {
			return kind, true
		}
	}
	return "", false
}

// readMapping collects the explicit paths and stops of a mappings.properties object.
func readMapping(props map[string]any) fixedMapping {
	m := fixedMapping{explicit: map[string]string{}, stops: map[string]string{}}
	var walk func(props map[string]any, prefix string)
	walk = func(props map[string]any, prefix string) {
		for name, v := range props {
			def, _ := v.(map[string]any)
			path := prefix + name
			typ, _ := def["type"].(string)
			switch {
			case typ == "flattened" || typ == "nested":
				m.stops[path] = typ
				continue
			case def["subobjects"] == false:
				m.stops[path] = "subobjects:false"
				continue
			case typ == "":
				typ = "object"
			}
			m.explicit[path] = typ
			if sub, ok := def["properties"].(map[string]any); ok {
				walk(sub, path+".")
			}
		}
	}
	walk(props, "")
	return m
}

// objectsMapping rewrites a template's mappings so flattened and nested fields become plain
// objects whose sub-fields are mapped dynamically (strings as keyword).
func objectsMapping(props map[string]any) map[string]any {
	out := map[string]any{}
	for name, v := range props {
		def, _ := v.(map[string]any)
		c := map[string]any{}
		for k, x := range def {
			c[k] = x
		}
		switch c["type"] {
		case "flattened", "nested":
			c = map[string]any{"type": "object"}
		}
		if sub, ok := c["properties"].(map[string]any); ok {
			c["properties"] = objectsMapping(sub)
		}
		out[name] = c
	}
	return out
}

// kinds returns the dynamic mapping an event asks for: for every path that the fixed
// mapping leaves to dynamic mapping, the type Elasticsearch gives it (keyword for strings,
// long or double for numbers, boolean, object). Keys with dots address nested objects, as
// in Elasticsearch; arrays are transparent.
func kinds(event []byte, fixed fixedMapping) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(path string, v any)
	record := func(path, kind string) {
		if _, ok := fixed.explicit[path]; ok && kind != "object" {
			return
		}
		if _, ok := out[path]; !ok {
			out[path] = kind
		}
	}
	walk = func(path string, v any) {
		if path != "" {
			if _, stop := fixed.stopAt(path); stop {
				return
			}
		}
		switch x := v.(type) {
		case map[string]any:
			if path != "" {
				record(path, "object")
			}
			for k, e := range x {
				// {"a.b": {"c": 1}} is a -> b -> c, as in Elasticsearch: every prefix is an object.
				parts := strings.Split(k, ".")
				p := path
				for i, part := range parts {
					if p == "" {
						p = part
					} else {
						p += "." + part
					}
					if _, stop := fixed.stopAt(p); !stop && i < len(parts)-1 {
						record(p, "object")
					}
				}
				walk(p, e)
			}
		case []any:
			for _, e := range x {
				walk(path, e)
			}
		case string, json.Number, bool:
			if typ, ok := fixed.typed[path]; ok {
				record(path, typ)
				return
			}
		}
		switch x := v.(type) {
		case string:
			record(path, "keyword")
		case json.Number:
			if strings.ContainsAny(string(x), ".eE") {
				record(path, "double")
			} else {
				record(path, "long")
			}
		case bool:
			record(path, "boolean")
		}
	}
	walk("", v)
	return out, nil
}

// indexSet is one logical collection of documents spread over concrete indexes
// ("generations") so that no document meets a dynamic mapping another document made for a
// different JSON type: Elasticsearch would coerce the value (a number into a keyword) or
// refuse it, and the index would no longer hold the event the evaluator sees.
type indexSet struct {
	base  string
	fixed fixedMapping
	gens  []map[string]string // per generation: dynamic path -> kind
	added []map[string]bool   // per generation: fields added for ES|QL
	docs  []*doc
}

// doc is one indexed document.
type doc struct {
	ID     string
	Origin string // where the event comes from, for failure messages
	Source []byte
	Index  string
}

func newIndexSet(base string, fixed fixedMapping) *indexSet {
	return &indexSet{base: base, fixed: fixed}
}

func (s *indexSet) indexName(gen int) string {
	if gen == 0 {
		return s.base
	}
	return fmt.Sprintf("%s-g%d", s.base, gen+1)
}

// add places d in the first generation whose dynamic mapping agrees with its own.
func (s *indexSet) add(d *doc) error {
	k, err := kinds(d.Source, s.fixed)
	if err != nil {
		return fmt.Errorf("%s: %v", d.Origin, err)
	}
	for g, gen := range s.gens {
		if compatible(gen, k) {
			for p, kind := range k {
				gen[p] = kind
			}
			d.Index = s.indexName(g)
			s.docs = append(s.docs, d)
			return nil
		}
	}
	s.gens = append(s.gens, k)
	s.added = append(s.added, map[string]bool{})
	d.Index = s.indexName(len(s.gens) - 1)
	s.docs = append(s.docs, d)
	return nil
}

func compatible(gen, k map[string]string) bool {
	for p, kind := range k {
		if have, ok := gen[p]; ok && have != kind {
			return false
		}
	}
	return true
}

// generation names the generation an index holds: "g1" for the base index, "g2", ...
func (s *indexSet) generation(index string) string {
	for g := range s.gens {
		if s.indexName(g) == index {
			return fmt.Sprintf("g%d", g+1)
		}
	}
	return index
}

func (s *indexSet) indexes() []string {
	out := make([]string, len(s.gens))
	for g := range s.gens {
		out[g] = s.indexName(g)
	}
	return out
}

// missingFields returns, with the type to add them as, the fields among want that generation
// g does not map: ES|QL refuses a query naming a column no index maps ("Unknown column"),
// while an integration's mapping would have it. The type is the one another generation of
// the set gives the field, else the one the rule's use implies (want). Fields below a stop,
// or below a path mapped as a scalar, cannot be added and are left out.
func (s *indexSet) missingFields(g int, want map[string]string) map[string]string {
	out := map[string]string{}
	for _, f := range slices.Sorted(maps.Keys(want)) {
		if s.added[g][f] {
			continue
		}
		if _, ok := s.fixed.explicit[f]; ok {
			continue
		}
		if _, ok := s.gens[g][f]; ok {
			continue
		}
		if _, stop := s.fixed.stopAt(f); stop {
			continue
		}
		blocked := false
		parts := strings.Split(f, ".")
		for i := 1; i < len(parts); i++ {
			p := strings.Join(parts[:i], ".")
			if t, ok := s.fixed.explicit[p]; ok && t != "object" {
				blocked = true
			}
			if t, ok := s.gens[g][p]; ok && t != "object" {
				blocked = true
			}
		}
		if blocked {
			continue
		}
		typ := want[f]
		for _, other := range s.gens {
			if k, ok := other[f]; ok && k != "object" {
				typ = k
				break
			}
		}
		out[f] = typ
	}
	return out
}

// typedMapping returns, for generation g, the typed paths its documents allow (none holds an
// object there or a scalar above it), with their types: the explicit mapping to create the
// generation's index with.
func (s *indexSet) typedMapping(g int) map[string]string {
	out := map[string]string{}
	for path, typ := range s.fixed.typed {
		if k, ok := s.gens[g][path]; ok && k != typ {
			continue
		}
		blocked := false
		parts := strings.Split(path, ".")
		for i := 1; i < len(parts); i++ {
			if k, ok := s.gens[g][strings.Join(parts[:i], ".")]; ok && k != "object" {
				blocked = true
			}
		}
		if !blocked {
			out[path] = typ
		}
	}
	return out
}

// arrayFields returns the paths at which some document of the set holds several values: a
// JSON array there or on the way there (an array of objects). Arrays of one value count
// too: Elasticsearch keeps no difference between [x] and x, but nothing is lost by listing
// them.
func (s *indexSet) arrayFields() []string {
	seen := map[string]bool{}
	for _, d := range s.docs {
		dec := json.NewDecoder(bytes.NewReader(d.Source))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			continue
		}
		var walk func(path string, v any, inArray bool)
		walk = func(path string, v any, inArray bool) {
			switch x := v.(type) {
			case map[string]any:
				for k, e := range x {
					p := k
					if path != "" {
						p = path + "." + k
					}
					walk(p, e, inArray)
				}
			case []any:
				for _, e := range x {
					walk(path, e, true)
				}
			default:
				if inArray && path != "" {
					seen[path] = true
				}
			}
		}
		walk("", v, false)
	}
	return slices.Sorted(maps.Keys(seen))
}

// fieldMapping is a put-mapping body adding fields (dotted paths) with the given types;
// a double ignores malformed values (it holds the fields a rule compares numerically, where
// a text or a boolean stands for no number).
func fieldMapping(fields map[string]string) []byte {
	props := map[string]any{}
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		parts := strings.Split(f, ".")
		m := props
		for i, p := range parts {
			if i == len(parts)-1 {
				m[p] = map[string]any{"type": fields[f]}
				if fields[f] == "double" {
					m[p] = map[string]any{"type": "double", "ignore_malformed": true}
				}
				break
			}
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{"properties": map[string]any{}}
				m[p] = next
			}
			m = next["properties"].(map[string]any)
		}
	}
	body, _ := json.Marshal(map[string]any{"properties": props})
	return body
}
