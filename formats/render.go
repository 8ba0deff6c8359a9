package formats

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/diag"
)

// Desc describes a deployable-content format.
type Desc struct {
	Name string
	// Targets are the targets the format takes.
	Targets []string
	// Macros is true when the format places the index, sourcetype and source itself, so the
	// queries must be rendered without them (sigmabridge.ConvertItems).
	Macros bool
	// Bundle is true when the format is one whole (an app): it has no per-rule files.
	Bundle bool
	Help   string
}

// Builtin are the built-in deployable formats.
var Builtin = []Desc{
	{Name: "savedsearches", Targets: []string{"splunk"}, Macros: true,
		Help: "Splunk savedsearches.conf, one scheduled alert per rule condition;\n                 -o DIR writes macros.conf beside it"},
	{Name: "splunk-app", Targets: []string{"splunk"}, Macros: true, Bundle: true,
		Help: "an installable Splunk app: -o DIR (the app's directory) or -o FILE.tgz"},
	{Name: "elastic-rules", Targets: []string{"lucene", "dsl", "eql", "esql"},
		Help: "Elastic Security detection rules: NDJSON for the import API,\n                 one JSON file per rule with --per-rule"},
}

// Lookup returns the built-in format named name.
func Lookup(name string) (Desc, bool) {
	i := slices.IndexFunc(Builtin, func(d Desc) bool { return d.Name == name })
	if i < 0 {
		return Desc{}, false
	}
	return Builtin[i], true
}

// CheckTarget says why d cannot take target, or nil.
func (d Desc) CheckTarget(target string) error {
	if !slices.Contains(d.Targets, target) {
		return fmt.Errorf("format %s takes the targets %s, not %s", d.Name, strings.Join(d.Targets, ", "), target)
	}
	return nil
}

// Rendered is a format's output for a rule set.
type Rendered struct {
	// Files are the set's files, the main one first (what goes to stdout or -o FILE).
	Files []File
	// PerRule[i] is items[i]'s own file (nil when it failed or the format is a bundle), with
	// the extension Ext; Shared are the files a per-rule output needs besides them.
	PerRule [][]byte
	Ext     string
	// PerRuleExt[i], when set, is items[i]'s own extension instead of Ext.
	PerRuleExt []string
	Shared     []File
	// Diags[i] are items[i]'s diagnostics; an error means the rule failed in this format.
	Diags []diag.List
}

// Render renders items in the format named name.
func Render(name string, items []Item, o Options) (Rendered, error) {
	d, ok := Lookup(name)
	if !ok {
		return Rendered{}, fmt.Errorf("unknown format %q", name)
	}
	if err := d.CheckTarget(o.Target); err != nil {
		return Rendered{}, err
	}
	switch name {
	case "savedsearches", "splunk-app":
		s := RenderSplunk(items, o)
		out := Rendered{Diags: s.Diags, Ext: ".conf", PerRule: make([][]byte, len(items))}
		macros := File{Name: "macros.conf", Data: s.MacrosConf()}
		if name == "splunk-app" {
			out.Files = AppFiles(s, o.App)
			out.PerRule = nil
			return out, nil
		}
		out.Files = []File{{Name: "savedsearches.conf", Data: s.SavedSearchesConf()}, macros}
		out.Shared = []File{macros}
		for i, st := range s.ByRule {
			if st != nil {
				out.PerRule[i] = []byte(confHeader + "\n" + strings.Join(st, "\n"))
			}
		}
		return out, nil
	default: // elastic-rules
		e := RenderElastic(items, o)
		out := Rendered{Diags: e.Diags, Ext: ".json", PerRule: make([][]byte, len(items)), PerRuleExt: make([]string, len(items))}
		var all []ElasticRule
		for i, rs := range e.ByRule {
			all = append(all, rs...)
			switch len(rs) {
			case 0:
			case 1:
				out.PerRule[i] = rs[0].JSON()
			default:
				// A rule with several conditions is several Elastic rules: its file is
				// NDJSON, as the import API takes it.
				out.PerRule[i], out.PerRuleExt[i] = NDJSON(rs), ".ndjson"
			}
		}
		out.Files = []File{{Name: "rules.ndjson", Data: NDJSON(all)}}
		return out, nil
	}
}
