package formats

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// ElasticRule is an Elastic Security detection rule as the detection engine's create-rule
// and import APIs take it (testdata/formats/elastic-rule.schema.json has the fields this
// writes, from Elastic's API documentation).
type ElasticRule struct {
	RuleID         string           `json:"rule_id"`
	Name           string           `json:"name"`
	Description    string           `json:"description"`
	Type           string           `json:"type"`
	Language       string           `json:"language"`
	Query          string           `json:"query"`
	Index          []string         `json:"index,omitempty"`
	Filters        []map[string]any `json:"filters,omitempty"`
	Severity       string           `json:"severity"`
	RiskScore      int              `json:"risk_score"`
	Enabled        bool             `json:"enabled"`
	Interval       string           `json:"interval"`
	From           string           `json:"from"`
	MaxSignals     int              `json:"max_signals"`
	Author         []string         `json:"author"`
	References     []string         `json:"references"`
	FalsePositives []string         `json:"false_positives"`
	Tags           []string         `json:"tags"`
	Threat         []Threat         `json:"threat"`
	Version        int              `json:"version"`
	License        string           `json:"license,omitempty"`
	Meta           map[string]any   `json:"meta,omitempty"`
}

// Threat is one ATT&CK tactic of a rule with its techniques.
type Threat struct {
	Framework string       `json:"framework"`
	Tactic    ThreatRef    `json:"tactic"`
	Technique []ThreatTech `json:"technique"`
}

// ThreatRef is an ATT&CK object as Elastic refers to it.
type ThreatRef struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Reference string `json:"reference"`
}

// ThreatTech is a technique with its sub-techniques.
type ThreatTech struct {
	ThreatRef
	Subtechnique []ThreatRef `json:"subtechnique,omitempty"`
}

// ElasticTargets are the targets elastic-rules takes, with the rule type and language each
// gives.
var ElasticTargets = map[string][2]string{
	"lucene": {"query", "lucene"},
	"dsl":    {"query", "kuery"},
	"eql":    {"eql", "eql"},
	"esql":   {"esql", "esql"},
}

// Elastic is the output of elastic-rules for a rule set: ByRule[i] are the rules of
// items[i], one per condition (nil when it failed), Diags[i] its diagnostics.
type Elastic struct {
	ByRule [][]ElasticRule
	Diags  []diag.List
}

// RenderElastic renders items as Elastic Security rules.
func RenderElastic(items []Item, o Options) Elastic {
	out := Elastic{ByRule: make([][]ElasticRule, len(items)), Diags: make([]diag.List, len(items))}
	tl, ok := ElasticTargets[o.Target]
	for i, it := range items {
		r := it.Rule
		set, diags := o.For(r)
		if it.Correlation != nil {
			// The rule looks back over the correlation's timespan as well.
			set = set.widen(it.Correlation.Timespan)
			if o.Target != "esql" && o.Target != "eql" {
				diags = append(diags, diag.Diagnostic{Path: r.Path, Line: r.Line, RuleID: r.ID, Target: o.Target, Code: diag.UnsupportedCorrelation,
					Severity: diag.Error, Message: "an Elastic rule carries a correlation as an esql or eql query, not " + o.Target})
			}
		}
		if !ok {
			diags = append(diags, diag.Diagnostic{Path: r.Path, Line: r.Line, RuleID: r.ID, Target: o.Target, Code: diag.Unsupported,
				Severity: diag.Error, Message: "elastic-rules takes the targets lucene, dsl, eql and esql, not " + o.Target})
		}
		diags = append(diags, attackWarnings(r)...)
		out.Diags[i] = diags
		if diags.HasErrors() {
			continue
		}
		for ci, q := range it.Queries {
			er := ElasticRule{
				RuleID:         RuleUUID(r, it.Source, ci),
				Name:           oneLine(r.Title) + condSuffix(ci, len(it.Queries)),
				Description:    strings.TrimSpace(r.Description),
				Type:           tl[0],
				Language:       tl[1],
				Query:          q.Text,
				Severity:       Levels[level(r)].Elastic,
				RiskScore:      Levels[level(r)].Risk,
				Enabled:        o.Enabled,
				Interval:       set.Interval,
				From:           set.From(),
				MaxSignals:     100,
				Author:         nonNil(authors(r.Author)),
				References:     nonNil(r.References),
				FalsePositives: nonNil(r.FalsePositives),
				Tags:           append([]string{"Sigma"}, r.Tags...),
				Threat:         threat(ParseTags(r.Tags)),
				Version:        1,
				License:        o.LicenseName,
				Meta:           map[string]any{"sigma_id": r.ID, "sigma_source": it.Source, "sigma_level": r.Level, "sigma_condition": ci},
			}
			if er.Description == "" {
				er.Description = er.Name
			}
			if c := it.Correlation; c != nil {
				er.Meta["sigma_correlation"] = string(c.Type)
			}
			if er.Type != "esql" {
				er.Index = r.Deployment.Index
				if it.Correlation != nil {
					er.Index = baseIndex(it.Bases)
				}
				if len(er.Index) == 0 {
					er.Index = o.DefaultIndex
				}
			}
			if o.Target == "dsl" {
				// The query DSL goes in as a custom filter; the KQL query is empty.
				var doc struct {
					Query map[string]any `json:"query"`
				}
				if err := json.Unmarshal([]byte(q.Text), &doc); err != nil || doc.Query == nil {
					out.Diags[i] = append(out.Diags[i], diag.Diagnostic{Path: r.Path, Line: r.Line, RuleID: r.ID, Target: o.Target,
						Code: diag.Unsupported, Severity: diag.Error, Message: fmt.Sprintf("the dsl query is not {\"query\": {...}}: %v", err)})
					out.ByRule[i] = nil
					break
				}
				er.Query = ""
				er.Filters = []map[string]any{{
					"meta":  map[string]any{"type": "custom", "disabled": false, "negate": false, "alias": "sigma: " + er.Name, "key": "query", "value": q.Text},
					"query": doc.Query,
				}}
			}
			out.ByRule[i] = append(out.ByRule[i], er)
		}
	}
	return out
}

// baseIndex is the union of the index patterns of a correlation's named rules, in order.
func baseIndex(bases []*ir.Rule) []string {
	var out []string
	for _, b := range bases {
		if b == nil {
			continue
		}
		for _, ix := range b.Deployment.Index {
			if !slices.Contains(out, ix) {
				out = append(out, ix)
			}
		}
	}
	return out
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)), " ")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// authors splits a Sigma author line ("A, B") into names.
func authors(a string) []string {
	var out []string
	for _, p := range strings.Split(a, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// threat builds the ATT&CK mapping: one entry per tactic, tagged or implied by a tagged
// technique, with the tagged techniques of that tactic and their tagged sub-techniques under
// them. A technique whose tactics none is tagged goes under its first tactic in the table.
func threat(m Mapping) []Threat {
	var order []string // tactic ids
	byTactic := map[string]*Threat{}
	add := func(tc Tactic) *Threat {
		if t, ok := byTactic[tc.ID]; ok {
			return t
		}
		order = append(order, tc.ID)
		byTactic[tc.ID] = &Threat{Framework: "MITRE ATT&CK",
			Tactic: ThreatRef{ID: tc.ID, Name: tc.Name, Reference: tc.URL()}, Technique: []ThreatTech{}}
		return byTactic[tc.ID]
	}
	tagged := map[string]Tactic{} // by id, as the tag names it
	for _, tc := range m.Tactics {
		tagged[tc.ID] = tc
		add(tc)
	}
	for _, tq := range m.Techniques {
		var homes []Tactic
		for _, s := range tq.Tactics {
			tc, _ := LookupTactic(s)
			if t, ok := tagged[tc.ID]; ok {
				homes = append(homes, t)
			}
		}
		if len(homes) == 0 && len(tq.Tactics) > 0 {
			tc, _ := LookupTactic(tq.Tactics[0])
			homes = []Tactic{tc}
		}
		for _, tc := range homes {
			t := add(tc)
			parent, _ := LookupTechnique(tq.Parent())
			j := -1
			for k := range t.Technique {
				if t.Technique[k].ID == parent.ID {
					j = k
				}
			}
			if j < 0 {
				t.Technique = append(t.Technique, ThreatTech{ThreatRef: ThreatRef{ID: parent.ID, Name: parent.Name, Reference: parent.URL()}})
				j = len(t.Technique) - 1
			}
			if tq.ID != parent.ID {
				t.Technique[j].Subtechnique = append(t.Technique[j].Subtechnique, ThreatRef{ID: tq.ID, Name: tq.Name, Reference: tq.URL()})
			}
		}
	}
	out := make([]Threat, 0, len(order))
	for _, id := range order {
		out = append(out, *byTactic[id])
	}
	return out
}

// JSON is one rule as a file of its own (indented).
func (e ElasticRule) JSON() []byte { return indentedJSON(e) }

// indentedJSON is v as indented JSON, with <, > and & as they are, and a final newline.
func indentedJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return b.Bytes()
}

// NDJSON is the rules as the import API takes them: one compact object a line.
func NDJSON(rules []ElasticRule) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, r := range rules {
		_ = enc.Encode(r)
	}
	return b.Bytes()
}
