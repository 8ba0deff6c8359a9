package formats

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// A Splunk .conf file is line-based: a line `[name]` opens a stanza, `key = value` sets a
// key, a line starting with `#` is a comment, and a value whose line ends in `\` continues on
// the next line. Every value written here is one line: prose (titles, descriptions) has its
// control characters and line breaks turned into spaces and a trailing backslash dropped,
// and a search that holds a control character or ends in a backslash fails the rule, since
// changing it would change what it means. Stanza names cannot hold `[` or `]`, which become
// `(` and `)`. A `$` is left as it is: Splunk expands `$token$` only in alert actions, which
// these stanzas set to fixed text.

// confProse makes s one .conf line that means the same text to a reader.
func confProse(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return isControl(r) || r == ' ' }), " ")
	return strings.TrimRight(s, "\\ ")
}

// stanzaName makes s a .conf stanza name.
func stanzaName(s string) string {
	return strings.NewReplacer("[", "(", "]", ")").Replace(confProse(s))
}

// confSearch checks that a query can be one .conf value as it is.
func confSearch(q string) string {
	if i := strings.IndexFunc(q, isControl); i >= 0 {
		return fmt.Sprintf("holds a raw control character (%U) that a .conf value cannot carry", []rune(q[i:])[0])
	}
	if strings.HasSuffix(q, "\\") {
		return "ends in a backslash, which a .conf file reads as a line continuation"
	}
	if strings.TrimSpace(q) != q {
		return "starts or ends with white space, which a .conf file drops"
	}
	return ""
}

// MacroIndex is the index a query for a Splunk format is rendered with
// (sigmabridge.ConvertItems): its term, index="sigmabridge-macro-placeholder", is replaced by
// the log source's macro, so the macro sits where the backend puts an index and combines
// with the rest exactly as one. A query without it (from elsewhere) gets the macro as a
// first term; Splunk's search binds OR tighter than the implicit AND, so the macro still
// constrains the whole query.
const MacroIndex = "sigmabridge-macro-placeholder"

const macroTerm = `index="` + MacroIndex + `"`

// withMacro puts the macro call in query's place for it.
func withMacro(query, macro string) string {
	call := "`" + macro + "`"
	if rest, ok := strings.CutPrefix(query, macroTerm); ok {
		return call + rest
	}
	return call + " " + query
}

// Macro is a search macro that says where one log source's events are.
type Macro struct {
	Name, Definition, Description string
}

var macroUnsafe = regexp.MustCompile(`[^a-z0-9]+`)

// macroName is the macro of a log source: sigmabridge_<category>_<product>_<service>.
func macroName(prefix string, ls ir.Logsource) string {
	var parts []string
	for _, p := range []string{ls.Category, ls.Product, ls.Service} {
		if p = strings.Trim(macroUnsafe.ReplaceAllString(strings.ToLower(p), "_"), "_"); p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		parts = []string{"any"}
	}
	p := strings.Trim(macroUnsafe.ReplaceAllString(strings.ToLower(prefix), "_"), "_")
	if p == "" {
		p = "sigmabridge"
	}
	return p + "_" + strings.Join(parts, "_")
}

// splQuote writes s as an SPL double-quoted string (backends/splunk quotes the same way).
func splQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// macroDefinition renders where the Deployment says a rule's events are. With nothing set
// the definition is `index=*`, to be edited by the admin.
func macroDefinition(r *ir.Rule) (string, diag.List) {
	var terms []string
	var diags diag.List
	d := &r.Deployment
	for _, st := range []struct {
		key    string
		values []string
	}{{ir.StateIndex, d.Index}, {ir.StateSourcetype, d.Sourcetype}, {ir.StateSource, d.Source}} {
		var alts []string
		for _, v := range st.values {
			if strings.ContainsRune(v, '`') || strings.IndexFunc(v, isControl) >= 0 {
				diags = append(diags, diag.Diagnostic{Path: r.Path, Line: r.Line, RuleID: r.ID, Target: "splunk",
					Code: diag.UnsupportedValue, Severity: diag.Error,
					Message: fmt.Sprintf("state %s: value %q holds a backtick or a control character, which a macro cannot carry", st.key, v)})
				continue
			}
			alts = append(alts, st.key+"="+splQuote(v))
		}
		switch len(alts) {
		case 0:
		case 1:
			terms = append(terms, alts[0])
		default:
			terms = append(terms, "("+strings.Join(alts, " OR ")+")")
		}
	}
	if len(terms) == 0 {
		return "index=*", diags
	}
	return strings.Join(terms, " "), diags
}

// Splunk is the output of the Splunk formats for a rule set.
type Splunk struct {
	// Stanzas are the savedsearches.conf stanzas, one per rule condition, in rule order;
	// ByRule[i] are the stanzas of items[i] (nil when the rule failed).
	Stanzas []string
	ByRule  [][]string
	Macros  []Macro
	// Correlations counts the stanzas of correlation rules.
	Correlations int
	// Diags are per rule: errors fail that rule only.
	Diags []diag.List
}

// RenderSplunk renders the saved searches and macros of items. A rule whose settings or
// deployment cannot be written fails alone, with its diagnostics in Diags.
func RenderSplunk(items []Item, o Options) Splunk {
	out := Splunk{ByRule: make([][]string, len(items)), Diags: make([]diag.List, len(items))}
	macros := map[string]Macro{}
	names := map[string]bool{}
	// macroFor returns the macro of r's log source with definition def: one macro per log
	// source, and one per placement when the pipelines placed its rules apart.
	macroFor := func(r *ir.Rule, def string) string {
		base := macroName(o.Prefix, r.Logsource)
		name := base
		for n := 2; ; n++ {
			m, ok := macros[name]
			if !ok {
				macros[name] = Macro{Name: name, Definition: def,
					Description: "Where the events of log source " + confProse(logsourceText(r.Logsource)) + " are: the index, sourcetype and source the organisation profile (logs) or the pipelines set. Edit to match your data."}
				out.Macros = append(out.Macros, macros[name])
				return name
			}
			if m.Definition == def {
				return name
			}
			name = fmt.Sprintf("%s_%d", base, n)
		}
	}
	for i, it := range items {
		r := it.Rule
		set, diags := o.For(r)
		bad := func(code diag.Code, msg string) {
			diags = append(diags, diag.Diagnostic{Path: r.Path, Line: r.Line, RuleID: r.ID, Target: "splunk",
				Code: code, Severity: diag.Error, Message: msg})
		}
		var defs []string // the macro definitions: the rule's, or each named rule's
		if it.Correlation == nil {
			def, ds := macroDefinition(r)
			diags = append(diags, ds...)
			defs = []string{def}
		} else {
			set = set.widen(it.Correlation.Timespan)
			for _, b := range it.Bases {
				def := ""
				if b != nil {
					var ds diag.List
					def, ds = macroDefinition(b)
					diags = append(diags, ds...)
				}
				defs = append(defs, def)
			}
		}
		for _, q := range it.Queries {
			if it.Correlation == nil && (strings.Count(q.Text, macroTerm) > 1 || strings.Contains(q.Text, macroTerm) && !strings.HasPrefix(q.Text, macroTerm)) {
				bad(diag.UnsupportedValue, "the search holds "+macroTerm+" other than as its first term, where the log source's macro goes")
			}
			if why := confSearch(q.Text); why != "" {
				bad(diag.UnsupportedControl, "the search "+why)
			}
		}
		diags = append(diags, attackWarnings(r)...)
		if diags.HasErrors() {
			out.Diags[i] = diags
			continue
		}
		searches := make([]string, len(it.Queries))
		if it.Correlation == nil {
			name := macroFor(r, defs[0])
			for ci, q := range it.Queries {
				searches[ci] = withMacro(q.Text, name)
			}
		} else {
			// Each named rule's events come from its own log source's macro.
			var pairs []string
			for k, b := range it.Bases {
				if b != nil {
					pairs = append(pairs, `index="`+CorrMacroIndex(k)+`"`, "`"+macroFor(b, defs[k])+"`")
				}
			}
			rep := strings.NewReplacer(pairs...)
			for ci, q := range it.Queries {
				searches[ci] = rep.Replace(q.Text)
				if strings.Contains(searches[ci], MacroIndex) {
					bad(diag.UnsupportedValue, "the search holds "+MacroIndex+" where no named rule's log source macro goes")
				}
			}
		}
		out.Diags[i] = diags
		if diags.HasErrors() {
			continue
		}
		for ci := range it.Queries {
			title := stanzaName(o.Prefix + " - " + r.Title + condSuffix(ci, len(it.Queries)))
			for n := 2; names[title]; n++ {
				title = stanzaName(fmt.Sprintf("%s - %s%s (%d)", o.Prefix, r.Title, condSuffix(ci, len(it.Queries)), n))
			}
			names[title] = true
			st := stanza(title, searches[ci], r, set, o)
			out.Stanzas = append(out.Stanzas, st)
			out.ByRule[i] = append(out.ByRule[i], st)
			if it.Correlation != nil {
				out.Correlations++
			}
		}
	}
	sort.Slice(out.Macros, func(a, b int) bool { return out.Macros[a].Name < out.Macros[b].Name })
	return out
}

func logsourceText(ls ir.Logsource) string {
	var p []string
	for _, kv := range [][2]string{{"category", ls.Category}, {"product", ls.Product}, {"service", ls.Service}} {
		if kv[1] != "" {
			p = append(p, kv[0]+": "+kv[1])
		}
	}
	if len(p) == 0 {
		return "(none)"
	}
	return strings.Join(p, ", ")
}

func stanza(name, search string, r *ir.Rule, s Settings, o Options) string {
	var b strings.Builder
	kv := func(k, v string) { fmt.Fprintf(&b, "%s = %s\n", k, v) }
	b.WriteString("[" + name + "]\n")
	desc := confProse(r.Description)
	if desc == "" {
		desc = confProse(r.Title)
	}
	kv("description", desc)
	kv("search", search)
	disabled := "1"
	if o.Enabled {
		disabled = "0"
	}
	kv("disabled", disabled)
	kv("enableSched", "1")
	kv("cron_schedule", s.Cron)
	kv("schedule_window", "auto")
	kv("dispatch.earliest_time", s.Earliest)
	kv("dispatch.latest_time", s.Latest)
	kv("counttype", "number of events")
	kv("relation", "greater than")
	kv("quantity", "0")
	kv("alert.track", "1")
	kv("alert.digest_mode", "0")
	kv("alert.severity", fmt.Sprint(Levels[level(r)].Splunk))
	kv("alert.suppress", "0")
	kv("action.correlationsearch.enabled", "1")
	kv("action.correlationsearch.label", confProse(r.Title))
	kv("action.correlationsearch.annotations", annotations(r))
	return b.String()
}

// annotations is the Enterprise Security annotations JSON of a rule: the ATT&CK techniques
// of its tags (mitre_attack; Enterprise Security derives the tactics from them), and the
// Sigma id, author and level for the analyst. kill_chain_phases is left out: it names
// Lockheed Martin kill chain phases, which Sigma tags do not give.
func annotations(r *ir.Rule) string {
	m := ParseTags(r.Tags)
	a := struct {
		MITRE   []string `json:"mitre_attack"`
		SigmaID string   `json:"sigma_id,omitempty"`
		Author  string   `json:"sigma_author,omitempty"`
		Level   string   `json:"sigma_level,omitempty"`
	}{MITRE: m.TechniqueIDs(), SigmaID: confProse(r.ID), Author: confProse(r.Author), Level: confProse(r.Level)}
	if a.MITRE == nil {
		a.MITRE = []string{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(a)
	return strings.TrimSuffix(buf.String(), "\n")
}

// attackWarnings warns about attack.* tags the ATT&CK table does not know.
func attackWarnings(r *ir.Rule) diag.List {
	var out diag.List
	for _, t := range ParseTags(r.Tags).Unknown {
		out = append(out, diag.Diagnostic{Path: r.Path, Line: r.Line, RuleID: r.ID, Code: diag.RuleStructure, Severity: diag.Warning,
			Message: fmt.Sprintf("tag %q names no tactic or technique of Enterprise ATT&CK %s; it is left out of the ATT&CK mapping", t, ATTACKVersion)})
	}
	return out
}

const confHeader = "# Generated by sigmabridge from Sigma rules. Index and sourcetype are in macros.conf.\n"

// SavedSearchesConf is savedsearches.conf for the stanzas.
func (s Splunk) SavedSearchesConf() []byte {
	return []byte(confHeader + "\n" + strings.Join(s.Stanzas, "\n"))
}

// MacrosConf is macros.conf for the macros.
func (s Splunk) MacrosConf() []byte {
	var b strings.Builder
	b.WriteString("# Generated by sigmabridge: where each log source's events are. Edit to your indexes.\n")
	for _, m := range s.Macros {
		fmt.Fprintf(&b, "\n[%s]\ndefinition = %s\ndescription = %s\niseval = 0\n", m.Name, m.Definition, m.Description)
	}
	return []byte(b.String())
}
