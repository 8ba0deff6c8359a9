package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/diag"
)

// MaxSearches is the most searches one detection may define (diag.DetectionTooLarge): a
// condition's `x of pattern` compares the pattern with every search.
const MaxSearches = 1000

// File is a parsed Sigma file: one Document per YAML document.
type File struct {
	Path string
	Docs []*Document
	// Err is the YAML syntax error that stopped the reading; the documents before it are
	// in Docs.
	Err *diag.Diagnostic
}

// DocKind says what a YAML document of a Sigma file is.
type DocKind uint8

const (
	// KindInvalid is a document that is not a YAML mapping.
	KindInvalid DocKind = iota
	// KindRule is a detection rule.
	KindRule
	// KindCorrelation is a correlation rule (`correlation:`).
	KindCorrelation
	// KindFilter is a Sigma filter (`filter:`).
	KindFilter
	// KindLegacy is a Sigma 1 `action:` document without a detection.
	KindLegacy
)

// Entry is one key of a mapping with its value (aliases resolved).
type Entry struct {
	Key, Value *yaml.Node
}

// Document is one YAML document of a Sigma file.
type Document struct {
	Index int        // 0-based document index within the file
	Node  *yaml.Node // the document's top node (a mapping unless KindInvalid)
	Kind  DocKind
	// Entries are the top-level keys as written, duplicates included.
	Entries []Entry

	Detection   *Detection   // a rule's detection; nil when absent
	Correlation *Correlation // KindCorrelation only
	Filter      *Filter      // KindFilter only
}

// Value returns the value of a top-level key (the last one when the key is repeated, as a
// YAML decoder would), or nil.
//
// It scans the entries, as Key does: a rule has a score of them, and the loader asks for a
// fixed few keys, so a scan costs less than building an index for every document.
func (d *Document) Value(key string) *yaml.Node {
	for i := len(d.Entries) - 1; i >= 0; i-- {
		if d.Entries[i].Key.Value == key {
			return d.Entries[i].Value
		}
	}
	return nil
}

// Key returns the key node of a top-level key (the last one when repeated, as Value), or nil.
func (d *Document) Key(key string) *yaml.Node {
	for i := len(d.Entries) - 1; i >= 0; i-- {
		if d.Entries[i].Key.Value == key {
			return d.Entries[i].Key
		}
	}
	return nil
}

// KeyLine returns the line of the first top-level key called key, or the document's line.
func (d *Document) KeyLine(key string) int { return KeyLine(d.Node, key) }

// Scalar returns the text of a top-level scalar, or "" when absent, null or not a scalar.
func (d *Document) Scalar(key string) string { return ScalarString(d.Value(key)) }

// Detection is a rule's (or a filter's) detection: named searches and conditions.
type Detection struct {
	Node *yaml.Node
	// Searches in source order; a repeated name is reported and only its first kept.
	Searches []*Search
	// CondKey is the value of the `condition` key, nil when the detection has none.
	CondKey *yaml.Node
	// Conditions are the condition strings, parsed.
	Conditions []*Condition
	// TooManySearches is set when the detection defines more than MaxSearches searches;
	// reading stopped there.
	TooManySearches bool
	// Diags are problems of the detection's structure (not of one search).
	Diags diag.List
}

// Search is one named search: a map of items (Maps has one entry), a list of maps, or a
// list of keywords (Keywords).
type Search struct {
	Name       string
	Key, Value *yaml.Node
	Maps       []*Map
	Keywords   *Item
	// Err is set when the search as a whole has the wrong shape.
	Err *diag.Diagnostic
}

// Map is one map of a search: its items are ANDed.
type Map struct {
	Node  *yaml.Node
	Items []*Item
	Err   *diag.Diagnostic
}

// Item is one detection item: a field with modifiers and values, or the keywords of a
// keyword search (Keyword set, Key nil, each value at its own position).
type Item struct {
	Key       *yaml.Node // the `field|mod|mod` key
	Field     string
	Modifiers []string
	Keyword   bool
	Values    []Value
	// Err is set when the item's value has the wrong shape (a mapping, an empty list).
	Err *diag.Diagnostic
}

// Has reports whether the item has modifier m.
func (it *Item) Has(m string) bool {
	for _, x := range it.Modifiers {
		if x == m {
			return true
		}
	}
	return false
}

// ValueKind is the YAML type of a value.
type ValueKind uint8

const (
	String ValueKind = iota
	Number
	Bool
	Null
)

// Value is one scalar of a rule, with its type and its text. Integers are normalised to
// decimal (0x10 is 16); floats, timestamps and integers too large for 64 bits keep their
// text as written.
type Value struct {
	Kind ValueKind
	Text string
	Num  float64 // for Number
	Node *yaml.Node
	// Err is set when the value cannot be read (a list or mapping where a scalar belongs).
	Err *diag.Diagnostic
}

// Correlation is a correlation rule's `correlation` block, as written. It is parsed so that
// lint and the loader see it; nothing lowers it yet.
type Correlation struct {
	Node      *yaml.Node
	Type      string
	Rules     []string
	GroupBy   []string
	Timespan  string
	Generate  bool
	Condition map[string]Value // gt, gte, lt, lte, eq, neq, field
}

// Filter is a Sigma filter's `filter` block: the rules it applies to and a detection.
type Filter struct {
	Node      *yaml.Node
	Rules     []string
	Detection *Detection
}

// Parse reads every YAML document of a Sigma file into the tree. It stops at a YAML syntax
// error (File.Err); everything else is recorded where it was found, for the loader to
// report and the linter to skip.
func Parse(path string, data []byte) *File {
	f := &File{Path: path}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for index := 0; ; index++ {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			d := yamlDiag(path, err)
			f.Err = &d
			break // the decoder cannot resynchronise after a syntax error
		}
		if len(root.Content) == 0 {
			continue // an empty document, e.g. a trailing `---`
		}
		f.Docs = append(f.Docs, parseDocument(path, index, root.Content[0]))
	}
	return f
}

// yamlDiag turns a yaml.v3 error ("yaml: line 7: did not find expected key") into a
// diagnostic carrying the line.
func yamlDiag(path string, err error) diag.Diagnostic {
	msg := err.Error()
	line := 0
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if _, e := fmt.Sscanf(rest[:i], "%d", &line); e == nil {
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return diag.Diagnostic{Path: path, Line: line, Code: diag.YAMLError, Message: msg}
}

func parseDocument(path string, index int, n *yaml.Node) *Document {
	d := &Document{Index: index, Node: n}
	if n.Kind != yaml.MappingNode {
		return d
	}
	d.Entries = make([]Entry, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		d.Entries = append(d.Entries, Entry{n.Content[i], Resolve(n.Content[i+1])})
	}
	switch {
	case d.Value("correlation") != nil:
		d.Kind = KindCorrelation
		d.Correlation = parseCorrelation(d.Value("correlation"))
	case d.Value("filter") != nil:
		d.Kind = KindFilter
		d.Filter = parseFilter(path, d.Value("filter"))
	case d.Value("action") != nil && d.Value("detection") == nil:
		d.Kind = KindLegacy
	default:
		d.Kind = KindRule
		if det := d.Value("detection"); det != nil {
			d.Detection = parseDetection(path, det, false)
		}
	}
	return d
}

func parseCorrelation(n *yaml.Node) *Correlation {
	c := &Correlation{Node: n}
	if n.Kind != yaml.MappingNode {
		return c
	}
	m := MappingIndex(n)
	c.Type = ScalarString(m["type"])
	c.Rules = StringList(m["rules"])
	c.GroupBy = StringList(m["group-by"])
	c.Timespan = ScalarString(m["timespan"])
	c.Generate = ScalarString(m["generate"]) == "true"
	if cond := m["condition"]; cond != nil && cond.Kind == yaml.MappingNode {
		c.Condition = map[string]Value{}
		for i := 0; i+1 < len(cond.Content); i += 2 {
			if v := Resolve(cond.Content[i+1]); v.Kind == yaml.ScalarNode {
				c.Condition[cond.Content[i].Value] = ReadValue("", v)
			}
		}
	}
	return c
}

func parseFilter(path string, n *yaml.Node) *Filter {
	f := &Filter{Node: n}
	if n.Kind != yaml.MappingNode {
		return f
	}
	f.Rules = StringList(MappingIndex(n)["rules"])
	f.Detection = parseDetection(path, n, true)
	return f
}

// parseDetection reads a detection block; in a filter, the `rules` key is not a search.
func parseDetection(path string, det *yaml.Node, filter bool) *Detection {
	d := &Detection{Node: det}
	if det.Kind != yaml.MappingNode {
		d.Diags.Add(path, det.Line, diag.RuleStructure, "detection must be a mapping, got %s", KindName(det))
		return d
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(det.Content); i += 2 {
		key, val := det.Content[i], Resolve(det.Content[i+1])
		switch {
		case key.Value == "condition":
			d.CondKey = val
			switch val.Kind {
			case yaml.ScalarNode:
				d.Conditions = append(d.Conditions, ParseConditionNode(val))
			case yaml.SequenceNode:
				for _, c := range val.Content {
					if c.Kind != yaml.ScalarNode {
						d.Diags.Add(path, c.Line, diag.RuleStructure, "each condition must be a string")
						continue
					}
					d.Conditions = append(d.Conditions, ParseConditionNode(c))
				}
			default:
				d.Diags.Add(path, val.Line, diag.RuleStructure, "condition must be a string or a list of strings")
			}
			continue
		case key.Value == "timeframe", filter && key.Value == "rules":
			// timeframe is only meaningful for the legacy aggregation syntax, which the
			// condition parser rejects with its own diagnostic; a plain condition ignores
			// it, as the reference converter does.
			continue
		}
		if seen[key.Value] {
			d.Diags.Add(path, key.Line, diag.RuleStructure, "search %q is defined twice", key.Value)
			continue
		}
		if len(d.Searches) == MaxSearches {
			d.Diags.Add(path, key.Line, diag.DetectionTooLarge, "the detection defines more than the limit of %d searches (translator.MaxSearches)", MaxSearches)
			d.TooManySearches = true
			return d
		}
		seen[key.Value] = true
		d.Searches = append(d.Searches, parseSearch(path, key, val))
	}
	return d
}

// ParseConditionNode parses a condition scalar of a rule, keeping its position.
func ParseConditionNode(n *yaml.Node) *Condition {
	c := ParseCondition(n.Value, RuleGrammar)
	c.Line, c.Col = n.Line, n.Column
	return c
}

// parseSearch reads one search. Its shape and the split of each `field|mod|mod` key come
// from sigma-go's Search; the values are read from the YAML nodes so their types and text
// survive exactly.
//
// ParseSearch reads a search outside a rule (a pipeline's add_condition); key names it.
func ParseSearch(path string, key, val *yaml.Node) *Search {
	return parseSearch(path, key, Resolve(val))
}

func parseSearch(path string, key, val *yaml.Node) *Search {
	s := &Search{Name: key.Value, Key: key, Value: val}
	var sg sigmago.Search
	if err := sg.UnmarshalYAML(val); err != nil {
		s.Err = &diag.Diagnostic{Path: path, Line: val.Line, Code: diag.RuleStructure, Message: fmt.Sprintf("search %q: %v", key.Value, err)}
		return s
	}
	switch {
	case sg.Keywords != nil:
		kw := &Item{Keyword: true}
		for _, n := range val.Content {
			if n.Kind != yaml.ScalarNode {
				kw.Values = append(kw.Values, Value{Node: n, Err: &diag.Diagnostic{Path: path, Line: n.Line, Code: diag.RuleStructure,
					Message: fmt.Sprintf("search %q: a keyword list may hold only scalars", key.Value)}})
				continue
			}
			kw.Values = append(kw.Values, ReadValue(path, n))
		}
		s.Keywords = kw
	case val.Kind == yaml.MappingNode:
		s.Maps = []*Map{parseMap(path, val, sg.EventMatchers[0])}
	default: // a list of maps
		for i, m := range val.Content {
			if m.Kind != yaml.MappingNode {
				s.Maps = append(s.Maps, &Map{Node: m, Err: &diag.Diagnostic{Path: path, Line: m.Line, Code: diag.RuleStructure,
					Message: fmt.Sprintf("search %q: a list must hold only maps or only scalars", key.Value)}})
				continue
			}
			s.Maps = append(s.Maps, parseMap(path, m, sg.EventMatchers[i]))
		}
	}
	return s
}

// parseMap reads the items of one map. em is sigma-go's reading of the same map: one
// FieldMatcher per key, in order, each checked against the key it claims to have read.
func parseMap(path string, m *yaml.Node, em sigmago.EventMatcher) *Map {
	mp := &Map{Node: m}
	if len(m.Content) == 0 {
		mp.Err = &diag.Diagnostic{Path: path, Line: m.Line, Code: diag.RuleStructure, Message: "an empty map matches nothing; remove it"}
		return mp
	}
	if 2*len(em) != len(m.Content) {
		mp.Err = &diag.Diagnostic{Path: path, Line: m.Line, Code: diag.RuleStructure, Message: "sigma-go read a different number of keys than the map has"}
		return mp
	}
	for i, fm := range em {
		keyNode, valNode := m.Content[2*i], Resolve(m.Content[2*i+1])
		if !isSplitOf(keyNode.Value, fm.Field, fm.Modifiers) {
			k := strings.Join(append([]string{fm.Field}, fm.Modifiers...), "|")
			mp.Err = &diag.Diagnostic{Path: path, Line: keyNode.Line, Code: diag.RuleStructure, Message: fmt.Sprintf("sigma-go read the key %q as %q", keyNode.Value, k)}
			return mp
		}
		it := &Item{Key: keyNode, Field: fm.Field, Modifiers: fm.Modifiers, Keyword: fm.Field == ""}
		it.Values, it.Err = readValues(path, fm.Field, valNode)
		mp.Items = append(mp.Items, it)
	}
	return mp
}

// isSplitOf reports whether key is field and mods joined with `|`, without joining them.
func isSplitOf(key, field string, mods []string) bool {
	rest, ok := strings.CutPrefix(key, field)
	if !ok {
		return false
	}
	for _, m := range mods {
		if rest, ok = strings.CutPrefix(rest, "|"); !ok {
			return false
		}
		if rest, ok = strings.CutPrefix(rest, m); !ok {
			return false
		}
	}
	return rest == ""
}

// readValues reads an item's value: a scalar or a list of scalars.
func readValues(path, field string, n *yaml.Node) ([]Value, *diag.Diagnostic) {
	switch n.Kind {
	case yaml.ScalarNode:
		return []Value{ReadValue(path, n)}, nil
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, &diag.Diagnostic{Path: path, Line: n.Line, Code: diag.InvalidValue, Message: fmt.Sprintf("field %q has an empty value list", field)}
		}
		out := make([]Value, 0, len(n.Content))
		for _, c := range n.Content {
			c = Resolve(c)
			if c.Kind != yaml.ScalarNode {
				out = append(out, Value{Node: c, Err: &diag.Diagnostic{Path: path, Line: c.Line, Code: diag.InvalidValue,
					Message: fmt.Sprintf("field %q: a value list may hold only scalars", field)}})
				continue
			}
			out = append(out, ReadValue(path, c))
		}
		return out, nil
	}
	return nil, &diag.Diagnostic{Path: path, Line: n.Line, Code: diag.InvalidValue,
		Message: fmt.Sprintf("field %q: a value must be a scalar or a list of scalars, got %s", field, KindName(n))}
}

// ReadValue reads a YAML scalar with its type.
func ReadValue(path string, n *yaml.Node) Value {
	v := Value{Kind: String, Text: n.Value, Node: n}
	bad := func(err error) Value {
		v.Err = &diag.Diagnostic{Path: path, Line: n.Line, Code: diag.InvalidValue, Message: err.Error()}
		return v
	}
	switch n.Tag {
	case "!!null":
		v.Kind, v.Text = Null, ""
	case "!!bool":
		switch n.Value { // yaml.v3's own spellings; others go through its decoder
		case "true", "True", "TRUE":
			v.Kind, v.Text = Bool, "true"
			return v
		case "false", "False", "FALSE":
			v.Kind, v.Text = Bool, "false"
			return v
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			return bad(err)
		}
		v.Kind, v.Text = Bool, strconv.FormatBool(b)
	case "!!int":
		if isPlainDecimal(n.Value) {
			// What yaml.v3 would decode, without a decoder per value (an EventID on
			// most Windows rules).
			if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
				v.Kind, v.Num = Number, float64(i) // the text is already decimal
				return v
			}
		}
		var i int64
		if err := n.Decode(&i); err == nil {
			v.Kind, v.Text, v.Num = Number, strconv.FormatInt(i, 10), float64(i)
			return v
		}
		var u uint64
		if err := n.Decode(&u); err == nil {
			v.Kind, v.Text, v.Num = Number, strconv.FormatUint(u, 10), float64(u)
		}
		// Too large for 64 bits: kept as text.
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			v.Kind, v.Num = Number, f
		}
	}
	return v
}

// isPlainDecimal reports whether s is an integer in the form every YAML reader reads the
// same way: `0`, or an optional `-` then a non-zero digit and at most 17 more digits (no
// sign, underscore, base prefix or leading zero, which yaml.v3 reads as octal).
func isPlainDecimal(s string) bool {
	d := strings.TrimPrefix(s, "-")
	if s == "0" {
		return true
	}
	if len(d) == 0 || len(d) > 18 || d[0] == '0' {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// Resolve follows an alias to the node it names.
func Resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// MappingIndex maps each key of a mapping node to its value node (aliases resolved; the
// last of a repeated key).
func MappingIndex(n *yaml.Node) map[string]*yaml.Node {
	m := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = Resolve(n.Content[i+1])
	}
	return m
}

// MappingValue returns the value of key in a mapping node (alias resolved; the last of a
// repeated key, as MappingIndex), or nil: MappingIndex for a lookup or two.
func MappingValue(n *yaml.Node, key string) *yaml.Node {
	for i := len(n.Content) - 2; i >= 0; i -= 2 {
		if n.Content[i].Value == key {
			return Resolve(n.Content[i+1])
		}
	}
	return nil
}

// KeyLine returns the line of key in a mapping node.
func KeyLine(n *yaml.Node, key string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i].Line
		}
	}
	return n.Line
}

// ScalarString returns a scalar's text, or "" for nil, null or a non-scalar.
func ScalarString(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// StringList reads a string or a list of strings (non-scalars in the list are skipped).
func StringList(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		return []string{n.Value}
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind == yaml.ScalarNode {
				out = append(out, c.Value)
			}
		}
		return out
	}
	return nil
}

// KindName names a node's kind in messages.
func KindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return "a scalar"
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}
