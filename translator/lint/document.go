package lint

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/sigma"
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

	detection  *sigma.Detection
	searches   []*searchDef
	conditions []*sigma.Condition
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

// stringValued reports whether the item's values are Sigma strings (with wildcards), not
// regular expressions, networks, numbers to compare, field names or booleans.
func (it *detectionItem) stringValued() bool {
	for _, m := range it.mods {
		if mod, ok := sigma.LookupModifier(m); ok && mod.Kind == sigma.ModType {
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

// newDocuments wraps the documents of a parsed file for the checks. A document that is not
// a mapping is left out: the loader reports it.
func newDocuments(f *sigma.File) []*document {
	var docs []*document
	for _, sd := range f.Docs {
		if sd.Kind == sigma.KindInvalid {
			continue
		}
		docs = append(docs, newDocument(f.Path, sd))
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

func newDocument(path string, sd *sigma.Document) *document {
	n := sd.Node
	d := &document{path: path, index: sd.Index, line: n.Line, node: n, top: map[string]keyValue{}}
	for _, e := range sd.Entries {
		kv := keyValue{e.Key, e.Value}
		d.order = append(d.order, kv)
		if _, dup := d.top[kv.key.Value]; !dup {
			d.top[kv.key.Value] = kv
		}
	}
	d.id = strings.TrimSpace(d.scalar("id"))
	switch sd.Kind {
	case sigma.KindCorrelation:
		d.kind = kindCorrelation
	case sigma.KindFilter:
		d.kind = kindFilter
	case sigma.KindLegacy:
		d.kind = kindLegacy
	default:
		d.kind = kindRule
		d.readDetection(sd.Detection)
	}
	return d
}

// readDetection collects the searches, conditions and detection items of the tree.
// Malformed parts are skipped: the loader reports them.
func (d *document) readDetection(det *sigma.Detection) {
	if det == nil || det.Node.Kind != yaml.MappingNode {
		return
	}
	d.detection = det
	d.conditions = det.Conditions
	for _, s := range det.Searches {
		sd := &searchDef{name: s.Name, key: s.Key, value: s.Value}
		d.searches = append(d.searches, sd)
		if s.Keywords != nil {
			d.addItem(sd, s.Key, s.Keywords)
		}
		for _, m := range s.Maps {
			for _, it := range m.Items {
				d.addItem(sd, it.Key, it)
			}
		}
	}
}

func (d *document) addItem(s *searchDef, key *yaml.Node, it *sigma.Item) {
	di := &detectionItem{search: s, key: key, field: it.Field, mods: it.Modifiers, keyword: it.Keyword}
	for _, v := range it.Values {
		if v.Err == nil {
			di.values = append(di.values, v.Node)
		}
	}
	d.items = append(d.items, di)
}
