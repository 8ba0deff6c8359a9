// Package corrcase reads the correlation conformance cases of testdata/correlation, so the
// evaluator, the SPL interpreter and the live Elasticsearch tests run the same data.
package corrcase

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Base is the time the cases' offsets count from.
var Base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Expect is one expected alert.
type Expect struct {
	Correlation string            `yaml:"correlation"`
	End         string            `yaml:"end"`
	Group       map[string]string `yaml:"group"`
	Value       float64           `yaml:"value"`
}

// Case is one conformance case.
type Case struct {
	Name     string
	Rules    string           `yaml:"rules"` // Sigma documents, the shared base rules prepended
	Events   []map[string]any `yaml:"events"`
	Lateness string           `yaml:"lateness"`
	Expect   []Expect         `yaml:"expect"`
	Late     int              `yaml:"late"`
}

// Load reads every case of dir (base.yml holds the shared base rules).
func Load(dir string) ([]*Case, error) {
	base, err := os.ReadFile(filepath.Join(dir, "base.yml"))
	if err != nil {
		return nil, err
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	var out []*Case
	for _, n := range names {
		if filepath.Base(n) == "base.yml" {
			continue
		}
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		c := &Case{Name: strings.TrimSuffix(filepath.Base(n), ".yml")}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		c.Rules = string(base) + "\n---\n" + c.Rules
		for i, e := range c.Events {
			at, ok := e["at"].(string)
			d, err := time.ParseDuration(at)
			if !ok || err != nil {
				return nil, fmt.Errorf("%s: event %d: at %v is not a duration", n, i+1, e["at"])
			}
			delete(e, "at")
			e["@timestamp"] = Base.Add(d).Format(time.RFC3339Nano)
		}
		if c.Lateness == "" {
			sort.SliceStable(c.Events, func(i, j int) bool {
				return c.Events[i]["@timestamp"].(string) < c.Events[j]["@timestamp"].(string)
			})
		}
		out = append(out, c)
	}
	return out, nil
}

// Set loads the case's rules and resolves their references; rules that do not load or
// resolve stop the test.
func (c *Case) Set(tb testing.TB) *ir.RuleSet {
	tb.Helper()
	set, diags := translator.LoadSetBytes(c.Name+".yml", []byte(c.Rules))
	diags = append(diags, translator.Resolve(set)...)
	if diags.HasErrors() {
		tb.Fatalf("%s: %v", c.Name, diags)
	}
	return set
}

// MaxLateness is the case's lateness (0 when not set).
func (c *Case) MaxLateness() time.Duration {
	d, _ := time.ParseDuration(c.Lateness)
	return d
}

// JSONL returns the events, one JSON object each.
func (c *Case) JSONL() [][]byte {
	var out [][]byte
	for _, e := range c.Events {
		b, _ := json.Marshal(e)
		out = append(out, b)
	}
	return out
}

// Alert is an alert in a comparable form.
type Alert struct {
	Correlation string
	End         time.Time
	Group       string // k=v pairs, sorted
	Value       float64
}

func (a Alert) String() string {
	return fmt.Sprintf("%s end=%s group={%s} value=%g", a.Correlation, a.End.Sub(Base), a.Group, a.Value)
}

// GroupKey renders group-by values as sorted k=v pairs.
func GroupKey(g map[string]string) string {
	var parts []string
	for k, v := range g {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// Want returns the expected alerts, sorted.
func (c *Case) Want() []Alert {
	var out []Alert
	for _, e := range c.Expect {
		d, _ := time.ParseDuration(e.End)
		out = append(out, Alert{e.Correlation, Base.Add(d), GroupKey(e.Group), e.Value})
	}
	Sort(out)
	return out
}

// Sort orders alerts by correlation, end, group.
func Sort(as []Alert) {
	sort.Slice(as, func(i, j int) bool { return as[i].String() < as[j].String() })
}
