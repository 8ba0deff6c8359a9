package formats

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// LevelWeight is what one rule of a level adds to its techniques' coverage score.
var LevelWeight = map[string]int{"informational": 1, "low": 1, "medium": 2, "high": 3, "critical": 4}

// Covered is one technique and the rules that detect it.
type Covered struct {
	Technique Technique
	Rules     []*ir.Rule
	// Score is the sum of the rules' LevelWeight (medium for a rule without a level).
	Score int
}

// Coverage returns the techniques rules are tagged with, by id. For a rule set, pass
// DeployedRules, so that correlations count and the rules that only feed them do not.
func Coverage(rules []*ir.Rule) []Covered {
	by := map[string]*Covered{}
	for _, r := range rules {
		for _, tq := range ParseTags(r.Tags).Techniques {
			c, ok := by[tq.ID]
			if !ok {
				c = &Covered{Technique: tq}
				by[tq.ID] = c
			}
			c.Rules = append(c.Rules, r)
			c.Score += LevelWeight[level(r)]
		}
	}
	out := make([]Covered, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Technique.ID < out[j].Technique.ID })
	return out
}

// DeployedRules are the rules a rule set deploys, as coverage counts them: the rules that
// alert on their own (RuleSet.Alerting), then each correlation as a rule
// (CorrelationRule), since a correlation alerts too and carries its own tags and level.
func DeployedRules(set *ir.RuleSet) []*ir.Rule {
	out := set.Alerting()
	for _, c := range set.Correlations {
		out = append(out, CorrelationRule(c))
	}
	return out
}

// levelCounts says how many rules of each level, highest first ("2 high, 1 medium").
func levelCounts(rules []*ir.Rule) string {
	n := map[string]int{}
	for _, r := range rules {
		n[level(r)]++
	}
	var parts []string
	for _, l := range []string{"critical", "high", "medium", "low", "informational"} {
		if n[l] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[l], l))
		}
	}
	return strings.Join(parts, ", ")
}

// NavigatorLayer is an ATT&CK Navigator layer (layer format 4.5) scoring each technique by
// its rules: testdata/formats/navigator-layer-4.5.schema.json checks it.
func NavigatorLayer(cov []Covered, name, description string) []byte {
	type link struct {
		Label string `json:"label"`
		URL   string `json:"url"`
	}
	type meta struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	type technique struct {
		TechniqueID string `json:"techniqueID"`
		Score       int    `json:"score"`
		Comment     string `json:"comment"`
		Enabled     bool   `json:"enabled"`
		Metadata    []meta `json:"metadata"`
		Links       []link `json:"links"`
	}
	max := 1
	var techs []technique
	for _, c := range cov {
		t := technique{TechniqueID: c.Technique.ID, Score: c.Score, Enabled: true,
			Comment: fmt.Sprintf("%d rules: %s", len(c.Rules), levelCounts(c.Rules)),
			Links:   []link{{Label: c.Technique.ID + " " + c.Technique.Name, URL: c.Technique.URL()}}}
		if len(c.Rules) == 1 {
			t.Comment = "1 rule: " + levelCounts(c.Rules)
		}
		for _, r := range c.Rules {
			t.Metadata = append(t.Metadata, meta{Name: level(r), Value: oneLine(r.Title)})
		}
		techs = append(techs, t)
		if c.Score > max {
			max = c.Score
		}
	}
	if techs == nil {
		techs = []technique{}
	}
	layer := map[string]any{
		"name":         name,
		"versions":     map[string]string{"attack": strings.SplitN(ATTACKVersion, ".", 2)[0], "navigator": "5.1.0", "layer": "4.5"},
		"domain":       "enterprise-attack",
		"description":  description,
		"sorting":      3,
		"layout":       map[string]any{"layout": "side", "showID": true, "showName": true, "showAggregateScores": true, "countUnscored": false, "aggregateFunction": "sum", "expandedSubtechniques": "annotated"},
		"hideDisabled": false,
		"techniques":   techs,
		"gradient":     map[string]any{"colors": []string{"#ffffff", "#66b1ff", "#ff6666"}, "minValue": 0, "maxValue": max},
		"legendItems": []map[string]string{
			{"label": "score = sum over rules of the level weight (informational, low 1; medium 2; high 3; critical 4)", "color": "#66b1ff"},
		},
		"showTacticRowBackground":       false,
		"selectTechniquesAcrossTactics": true,
		"selectSubtechniquesWithParent": false,
		"selectVisibleTechniques":       false,
		"metadata":                      []meta{{Name: "generator", Value: "sigmabridge coverage"}, {Name: "ATT&CK", Value: "Enterprise " + ATTACKVersion}},
	}
	return indentedJSON(layer)
}

// CoverageMarkdown is a Markdown table of the coverage, one technique a row.
func CoverageMarkdown(cov []Covered) []byte {
	var b strings.Builder
	b.WriteString("| technique | name | tactics | rules | levels | score |\n|---|---|---|---|---|---|\n")
	esc := strings.NewReplacer("|", `\|`, "\n", " ")
	for _, c := range cov {
		var tactics []string
		for _, s := range c.Technique.Tactics {
			if tc, ok := LookupTactic(s); ok {
				tactics = append(tactics, tc.Name)
			}
		}
		fmt.Fprintf(&b, "| [%s](%s) | %s | %s | %d | %s | %d |\n", c.Technique.ID, c.Technique.URL(), esc.Replace(c.Technique.Name),
			strings.Join(tactics, ", "), len(c.Rules), levelCounts(c.Rules), c.Score)
	}
	return []byte(b.String())
}
