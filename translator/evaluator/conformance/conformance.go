package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Case is one conformance case.
type Case struct {
	// Path is the case file; Name is its path below the cases directory without ".yml".
	Path, Name string
	// Description says what the case pins.
	Description string
	// Rule is the Sigma rule text, exactly as written in the case.
	Rule []byte
	// Events are the JSON objects of the case, one per line of its events block.
	Events [][]byte
	// Matches lists the 0-based indexes of the events the rule matches (through any of
	// its conditions), ascending.
	Matches []int
	// ConditionMatches, when set, lists the matching events per entry of the rule's
	// condition list.
	ConditionMatches map[int][]int
	// Error, when set, is the diagnostic code with which loading or compiling the rule
	// must fail; such a case has no events.
	Error string
}

type caseFile struct {
	Description      string        `yaml:"description"`
	Rule             string        `yaml:"rule"`
	Events           string        `yaml:"events"`
	Matches          []int         `yaml:"matches"`
	ConditionMatches map[int][]int `yaml:"condition_matches"`
	Error            string        `yaml:"error"`
}

// Load reads every *.yml case below dir, sorted by name. It fails on the first malformed
// case, naming the file: a case must have a description and a rule, valid JSON objects as
// events, and match indexes that point at events.
func Load(dir string) ([]Case, error) {
	var cases []Case
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".yml") {
			return nil
		}
		c, err := LoadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		c.Name = strings.TrimSuffix(filepath.ToSlash(rel), ".yml")
		cases = append(cases, c)
		return nil
	})
	sort.Slice(cases, func(i, j int) bool { return cases[i].Name < cases[j].Name })
	return cases, err
}

// LoadFile reads one case file.
func LoadFile(path string) (Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Case{}, err
	}
	var f caseFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return Case{}, fmt.Errorf("%s: %v", path, err)
	}
	c := Case{Path: path, Name: path, Description: f.Description, Rule: []byte(f.Rule),
		Matches: f.Matches, ConditionMatches: f.ConditionMatches, Error: f.Error}
	fail := func(format string, args ...any) (Case, error) {
		return Case{}, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(f.Description) == "" {
		return fail("no description")
	}
	if strings.TrimSpace(f.Rule) == "" {
		return fail("no rule")
	}
	for i, line := range strings.Split(f.Events, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil || obj == nil {
			return fail("events line %d is not a JSON object: %q", i+1, line)
		}
		c.Events = append(c.Events, []byte(line))
	}
	if c.Error != "" {
		if len(c.Events) > 0 || len(c.Matches) > 0 {
			return fail("a case with an expected error has no events")
		}
		return c, nil
	}
	if len(c.Events) == 0 {
		return fail("no events")
	}
	check := func(what string, idx []int) error {
		for i, e := range idx {
			if e < 0 || e >= len(c.Events) {
				return fmt.Errorf("%s: %s index %d is not an event (have %d)", path, what, e, len(c.Events))
			}
			if i > 0 && idx[i-1] >= e {
				return fmt.Errorf("%s: %s indexes must be ascending", path, what)
			}
		}
		return nil
	}
	if err := check("matches", c.Matches); err != nil {
		return Case{}, err
	}
	for cond, idx := range c.ConditionMatches {
		if err := check(fmt.Sprintf("condition_matches[%d]", cond), idx); err != nil {
			return Case{}, err
		}
	}
	return c, nil
}
