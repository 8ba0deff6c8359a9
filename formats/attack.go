package formats

import (
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// The ATT&CK table (attack/README.md says where it comes from and under which licence).
var (
	//go:embed attack/tactics.tsv
	tacticsTSV string
	//go:embed attack/techniques.tsv
	techniquesTSV string
)

// ATTACKVersion is the Enterprise ATT&CK release the table holds (with the two tactics of
// 19.0 that SigmaHQ's rules already use: attack/README.md).
const ATTACKVersion = "18.1"

// Tactic is an ATT&CK tactic.
type Tactic struct {
	ID        string // TA0002
	ShortName string // execution
	Name      string // Execution
}

// URL is the tactic's page on attack.mitre.org.
func (t Tactic) URL() string { return "https://attack.mitre.org/tactics/" + t.ID + "/" }

// Technique is an ATT&CK technique or sub-technique.
type Technique struct {
	ID      string   // T1098 or T1098.003
	Name    string   // for a sub-technique, its own name (Additional Cloud Roles)
	Tactics []string // tactic short names
}

// URL is the technique's page on attack.mitre.org.
func (t Technique) URL() string {
	return "https://attack.mitre.org/techniques/" + strings.ReplaceAll(t.ID, ".", "/") + "/"
}

// Parent returns the id of a sub-technique's technique, or the id itself.
func (t Technique) Parent() string {
	if i := strings.IndexByte(t.ID, '.'); i >= 0 {
		return t.ID[:i]
	}
	return t.ID
}

type attackTable struct {
	tactics      []Tactic
	tacticByName map[string]Tactic // by short name
	techniques   map[string]Technique
}

var (
	tableOnce sync.Once
	table     attackTable
	tableErr  error
)

func loadTable() (*attackTable, error) {
	tableOnce.Do(func() {
		t := attackTable{tacticByName: map[string]Tactic{}, techniques: map[string]Technique{}}
		for i, line := range strings.Split(strings.TrimSuffix(tacticsTSV, "\n"), "\n") {
			f := strings.Split(line, "\t")
			if len(f) != 3 {
				tableErr = fmt.Errorf("attack/tactics.tsv:%d: want 3 columns", i+1)
				return
			}
			tc := Tactic{ID: f[0], ShortName: f[1], Name: f[2]}
			if _, dup := t.tacticByName[tc.ShortName]; dup {
				tableErr = fmt.Errorf("attack/tactics.tsv:%d: %s twice", i+1, tc.ShortName)
				return
			}
			t.tactics = append(t.tactics, tc)
			t.tacticByName[tc.ShortName] = tc
		}
		for i, line := range strings.Split(strings.TrimSuffix(techniquesTSV, "\n"), "\n") {
			f := strings.Split(line, "\t")
			if len(f) != 3 {
				tableErr = fmt.Errorf("attack/techniques.tsv:%d: want 3 columns", i+1)
				return
			}
			tq := Technique{ID: f[0], Name: f[1]}
			if f[2] != "" {
				tq.Tactics = strings.Split(f[2], ",")
			}
			for _, s := range tq.Tactics {
				if _, ok := t.tacticByName[s]; !ok {
					tableErr = fmt.Errorf("attack/techniques.tsv:%d: unknown tactic %q", i+1, s)
					return
				}
			}
			t.techniques[tq.ID] = tq
		}
		table = t
	})
	if tableErr != nil {
		return nil, tableErr
	}
	return &table, nil
}

// LookupTechnique returns the technique with id (T1648, T1098.003; any case).
func LookupTechnique(id string) (Technique, bool) {
	t, err := loadTable()
	if err != nil {
		return Technique{}, false
	}
	tq, ok := t.techniques[strings.ToUpper(id)]
	return tq, ok
}

// LookupTactic returns the tactic with the short name (execution, defense-evasion) or id
// (TA0002; for TA0005, which ATT&CK 19 renamed, the 18.1 name Defense Evasion). A tactic is
// named as the tag names it: attack.stealth is TA0005 Stealth.
func LookupTactic(name string) (Tactic, bool) {
	t, err := loadTable()
	if err != nil {
		return Tactic{}, false
	}
	name = strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	if tc, ok := t.tacticByName[name]; ok {
		return tc, true
	}
	for _, tc := range t.tactics {
		if strings.EqualFold(tc.ID, name) {
			return tc, true
		}
	}
	return Tactic{}, false
}

var (
	techniqueTag = regexp.MustCompile(`(?i)^attack\.(t\d{4}(?:\.\d{3})?)$`)
	tacticTag    = regexp.MustCompile(`(?i)^attack\.([a-z][a-z_-]+)$`)
)

// Mapping is what a rule's attack.* tags say.
type Mapping struct {
	// Tactics are the tactics tagged, in tag order.
	Tactics []Tactic
	// Techniques are the techniques and sub-techniques tagged, in tag order.
	Techniques []Technique
	// Unknown are attack.* tags that name a technique or tactic not in the table
	// (revoked, deprecated or misspelt); groups (attack.g0016), software (attack.s0001)
	// and data sources (attack.ds0005) are not techniques and are left out without a word.
	Unknown []string
}

var notTactic = regexp.MustCompile(`(?i)^attack\.([gsm]|ds)\d{4}$`)

// ParseTags reads the attack.* tags of a rule.
func ParseTags(tags []string) Mapping {
	var m Mapping
	seen := map[string]bool{}
	for _, tag := range tags {
		if !strings.HasPrefix(strings.ToLower(tag), "attack.") || notTactic.MatchString(tag) {
			continue
		}
		if g := techniqueTag.FindStringSubmatch(tag); g != nil {
			tq, ok := LookupTechnique(g[1])
			switch {
			case !ok:
				m.Unknown = append(m.Unknown, tag)
			case !seen[tq.ID]:
				seen[tq.ID] = true
				m.Techniques = append(m.Techniques, tq)
			}
			continue
		}
		if g := tacticTag.FindStringSubmatch(tag); g != nil {
			tc, ok := LookupTactic(g[1])
			switch {
			case !ok:
				m.Unknown = append(m.Unknown, tag)
			case !seen[tc.ID]:
				seen[tc.ID] = true
				m.Tactics = append(m.Tactics, tc)
			}
			continue
		}
		m.Unknown = append(m.Unknown, tag)
	}
	return m
}

// TechniqueIDs returns the ids of m's techniques, sorted.
func (m Mapping) TechniqueIDs() []string {
	out := make([]string, len(m.Techniques))
	for i, t := range m.Techniques {
		out[i] = t.ID
	}
	sort.Strings(out)
	return out
}
