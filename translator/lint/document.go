package lint

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// docKind says what a YAML document of a Sigma file is.
type docKind uint8

const (
	kindRule        docKind = 1 << iota // a detection rule
	kindCorrelation                     // a correlation rule (`correlation:`)
	kindFilter                          // a Sigma filter (`filter:`)
	kindLegacy                          // a Sigma 1 `action:` document; the loader rejects it

	kindAny = kindRule | kindCorrelation | kindFilter
)

// document is one YAML document of a rule file, as written: the checks read the YAML
// nodes for positions, exact scalar styles and everything the loader does not keep.
type document struct {
	path  string
	index int // 0-based document index within the file, as in ir.Rule.Doc
	line  int // line of the document's mapping
	node  *yaml.Node
	kind  docKind
	id    string

	// top maps each top-level key to its key and value nodes (first occurrence).
	top map[string]keyValue
	// order lists the top-level entries as written.
	order []keyValue

	detection  *yaml.Node
	searches   []*searchDef
	conditions []*yaml.Node // scalar condition nodes
	items      []*detectionItem

	refMatches map[refKey][]*searchDef // matches' answers
}

type keyValue struct {
	key, value *yaml.Node
}

// value returns the value node of a top-level key, or nil.
func (d *document) value(key string) *yaml.Node {
	return d.top[key].value
}

// scalar returns the text of a top-level scalar, or "" when absent, null or not a scalar.
func (d *document) scalar(key string) string {
	n := d.value(key)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// keyNode returns the key node of a top-level key, or nil.
func (d *document) keyNode(key string) *yaml.Node {
	return d.top[key].key
}

// searchDef is one named search of a detection.
type searchDef struct {
	name       string
	key, value *yaml.Node
}

// detectionItem is one field with its modifiers and values, or one keyword list.
type detectionItem struct {
	search  *searchDef
	key     *yaml.Node // the `field|mods` key; for keywords, the search's key
	field   string
	mods    []string
	keyword bool
	values  []*yaml.Node // scalar nodes, aliases resolved
}

// has reports whether the item has modifier m.
func (it *detectionItem) has(m string) bool {
	for _, x := range it.mods {
		if x == m {
			return true
		}
	}
	return false
}

// typeModifiers turn a value into something other than a string pattern.
var typeModifiers = map[string]bool{
	"re": true, "cidr": true, "exists": true, "fieldref": true,
	"gt": true, "gte": true, "lt": true, "lte": true,
	"minute": true, "hour": true, "day": true, "week": true, "month": true, "year": true,
}

// stringValued reports whether the item's values are Sigma strings (with wildcards), not
// regular expressions, networks, numbers to compare, field names or booleans.
func (it *detectionItem) stringValued() bool {
	for _, m := range it.mods {
		if typeModifiers[m] {
			return false
		}
	}
	return true
}

// shapeModifier returns the item's contains, startswith or endswith modifier, or "".
func (it *detectionItem) shapeModifier() string {
	for _, m := range it.mods {
		if m == "contains" || m == "startswith" || m == "endswith" {
			return m
		}
	}
	return ""
}

// label names the item in messages.
func (it *detectionItem) label() string {
	if it.keyword {
		return "keyword list " + quote(it.search.name)
	}
	return quote(it.key.Value)
}

// isString reports whether a scalar is a YAML string (plain, quoted or block).
func isString(n *yaml.Node) bool {
	switch n.Tag {
	case "!!int", "!!float", "!!bool", "!!null":
		return false
	}
	return true
}

// parseDocuments reads every YAML document of a file. It stops at a syntax error, which
// the loader reports; the documents before it are still checked.
func parseDocuments(path string, data []byte) []*document {
	var docs []*document
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for index := 0; ; index++ {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) || err != nil {
			break
		}
		if len(root.Content) == 0 {
			continue
		}
		n := root.Content[0]
		if n.Kind != yaml.MappingNode {
			continue // the loader reports a document that is not a mapping
		}
		docs = append(docs, newDocument(path, index, n))
	}
	// A Sigma 1 multi-document rule (`action: global` and its parts) is not a set of
	// rules: none of its documents is checked on its own.
	for _, d := range docs {
		if d.value("action") != nil {
			for _, d := range docs {
				d.kind = kindLegacy
			}
			break
		}
	}
	return docs
}

func newDocument(path string, index int, n *yaml.Node) *document {
	d := &document{path: path, index: index, line: n.Line, node: n, top: map[string]keyValue{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kv := keyValue{n.Content[i], resolve(n.Content[i+1])}
		d.order = append(d.order, kv)
		if _, dup := d.top[kv.key.Value]; !dup {
			d.top[kv.key.Value] = kv
		}
	}
	d.id = strings.TrimSpace(d.scalar("id"))
	switch {
	case d.value("correlation") != nil:
		d.kind = kindCorrelation
	case d.value("filter") != nil:
		d.kind = kindFilter
	case d.value("action") != nil && d.value("detection") == nil:
		d.kind = kindLegacy
	default:
		d.kind = kindRule
	}
	if d.kind == kindRule {
		d.readDetection()
	}
	return d
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// readDetection collects the searches, conditions and detection items. Malformed parts
// are skipped: the loader reports them.
func (d *document) readDetection() {
	det := d.value("detection")
	if det == nil || det.Kind != yaml.MappingNode {
		return
	}
	d.detection = det
	for i := 0; i+1 < len(det.Content); i += 2 {
		key, val := det.Content[i], resolve(det.Content[i+1])
		switch key.Value {
		case "condition":
			switch val.Kind {
			case yaml.ScalarNode:
				d.conditions = append(d.conditions, val)
			case yaml.SequenceNode:
				for _, c := range val.Content {
					if c = resolve(c); c.Kind == yaml.ScalarNode {
						d.conditions = append(d.conditions, c)
					}
				}
			}
			continue
		case "timeframe":
			continue
		}
		s := &searchDef{name: key.Value, key: key, value: val}
		d.searches = append(d.searches, s)
		d.readSearch(s)
	}
}

func (d *document) readSearch(s *searchDef) {
	switch s.value.Kind {
	case yaml.MappingNode:
		d.readMap(s, s.value)
	case yaml.SequenceNode:
		kw := &detectionItem{search: s, key: s.key, keyword: true}
		for _, c := range s.value.Content {
			c = resolve(c)
			switch c.Kind {
			case yaml.MappingNode:
				d.readMap(s, c)
			case yaml.ScalarNode:
				kw.values = append(kw.values, c)
			}
		}
		if len(kw.values) > 0 {
			d.items = append(d.items, kw)
		}
	case yaml.ScalarNode:
		if s.value.Tag != "!!null" {
			d.items = append(d.items, &detectionItem{search: s, key: s.key, keyword: true, values: []*yaml.Node{s.value}})
		}
	}
}

func (d *document) readMap(s *searchDef, m *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, val := m.Content[i], resolve(m.Content[i+1])
		parts := strings.Split(key.Value, "|")
		it := &detectionItem{search: s, key: key, field: parts[0], mods: parts[1:], keyword: parts[0] == ""}
		switch val.Kind {
		case yaml.ScalarNode:
			it.values = []*yaml.Node{val}
		case yaml.SequenceNode:
			for _, c := range val.Content {
				if c = resolve(c); c.Kind == yaml.ScalarNode {
					it.values = append(it.values, c)
				}
			}
		}
		d.items = append(d.items, it)
	}
}
