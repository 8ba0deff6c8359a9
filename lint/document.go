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

// document is one document of a rule file, as parsed by package sigma: the checks read the
// tree and its YAML nodes for positions, exact scalar styles and everything the loader
// does not keep.
type document struct {
	*sigma.Document
	path string
	line int // line of the document's mapping
	kind docKind
	id   string

	searches   []*sigma.Search
	conditions []*sigma.Condition
	items      []*detectionItem
	tooMany    bool // more searches than the loader accepts

	refMatches map[refKey][]*sigma.Search // matches' answers
}

// value returns the value node of a top-level key, or nil.
func (d *document) value(key string) *yaml.Node { return d.Value(key) }

// scalar returns the text of a top-level scalar, or "" when absent, null or not a scalar.
func (d *document) scalar(key string) string { return d.Scalar(key) }

// detectionItem is one item of a search as the checks see it. A keyword search is one item
// at the search's key, with all its keywords.
type detectionItem struct {
	*sigma.Item
	search *sigma.Search
	key    *yaml.Node   // the `field|mods` key; for keywords, the search's key
	values []*yaml.Node // the readable scalar values
}

// stringValued reports whether the item's values are Sigma strings (with wildcards), not
// regular expressions, networks, numbers to compare, field names or booleans.
func (it *detectionItem) stringValued() bool { return it.modifierOf(sigma.ModType) == "" }

// shapeModifier returns the item's contains, startswith or endswith modifier, or "".
func (it *detectionItem) shapeModifier() string { return it.modifierOf(sigma.ModShape) }

// modifierOf returns the item's first modifier of the kind, or "".
func (it *detectionItem) modifierOf(kind sigma.ModKind) string {
	for _, m := range it.Modifiers {
		if mod, ok := sigma.LookupModifier(m); ok && mod.Kind == kind {
			return m
		}
	}
	return ""
}

// label names the item in messages.
func (it *detectionItem) label() string {
	if it.Keyword {
		return "keyword list " + quote(it.search.Name)
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
	d := &document{Document: sd, path: path, line: sd.Node.Line}
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
	d.conditions, d.searches, d.tooMany = det.Conditions, det.Searches, det.TooManySearches
	for _, s := range det.Searches {
		if s.Keywords != nil {
			d.addItem(s, s.Key, s.Keywords)
		}
		for _, m := range s.Maps {
			for _, it := range m.Items {
				d.addItem(s, it.Key, it)
			}
		}
	}
}

func (d *document) addItem(s *sigma.Search, key *yaml.Node, it *sigma.Item) {
	di := &detectionItem{Item: it, search: s, key: key}
	for _, v := range it.Values {
		if v.Err == nil {
			di.values = append(di.values, v.Node)
		}
	}
	d.items = append(d.items, di)
}
