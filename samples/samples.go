package samples

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/input"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
)

// ManifestName is the file that lists a rule's samples.
const ManifestName = "samples.yml"

// Sample is one entry of a manifest.
type Sample struct {
	File       string `yaml:"file"`
	Expect     string `yaml:"expect"` // "match" or "no_match"
	NearMiss   bool   `yaml:"near_miss"`
	Provenance string `yaml:"provenance"`
	Basis      string `yaml:"basis"`
	Why        string `yaml:"why"`
	// Format is the input format of the file ("" means jsonl).
	Format string `yaml:"format"`
	// Source and Licence name where a published record comes from (a repository and
	// path, or a URL) and the licence it is published under; both are required when
	// Provenance is "real".
	Source  string `yaml:"source"`
	Licence string `yaml:"licence"`
	// AcceptedDomains are the mail domains of the organisation a mail sample (format eml
	// or graph-headers) comes from, from which its direction and has_external_recipient
	// are computed. A published message comes from some real organisation, not from the
	// profile's, so the sample names it; other formats take none.
	AcceptedDomains []string `yaml:"accepted_domains"`
	// Anonymised says what was changed in a published record ("" means byte for byte).
	Anonymised string `yaml:"anonymised"`
	// KnownLimitation marks a no_match sample that is an attack the rule cannot see
	// (not a benign near miss); CoveredBy names the rule or correlation that covers it.
	KnownLimitation bool   `yaml:"known_limitation"`
	CoveredBy       string `yaml:"covered_by"`
}

// Provenances are the values a sample's provenance may take.
var Provenances = []string{"real", "vendor-doc", "vendor-fixture", "constructed"}

// IsReal reports whether the sample is a published record (not constructed for the pack).
func (s Sample) IsReal() bool { return s.Provenance != "" && s.Provenance != "constructed" }

// Manifest is a parsed samples.yml.
type Manifest struct {
	RuleID  string   `yaml:"rule_id"`
	Samples []Sample `yaml:"samples"`

	// FS and Dir locate the manifest's directory.
	FS  fs.FS  `yaml:"-"`
	Dir string `yaml:"-"`
	// Display is the directory as shown to the user.
	Display string `yaml:"-"`
}

// Positives and Negatives count the samples by expectation.
func (m *Manifest) Positives() int { return m.count("match") }

// Negatives counts the no_match samples.
func (m *Manifest) Negatives() int { return m.count("no_match") }

func (m *Manifest) count(expect string) int {
	n := 0
	for _, s := range m.Samples {
		if s.Expect == expect {
			n++
		}
	}
	return n
}

// ReadManifest parses dir/samples.yml inside fsys. Unknown keys and bad expectations are
// errors naming the file and line.
func ReadManifest(fsys fs.FS, dir, display string) (*Manifest, error) {
	name := path.Join(dir, ManifestName)
	shown := filepath.Join(display, ManifestName)
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", shown, unwrap(err))
	}
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %s", shown, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	for i, s := range m.Samples {
		if s.File == "" || strings.Contains(s.File, "..") || path.IsAbs(s.File) {
			return nil, fmt.Errorf("%s: sample %d: file must be a name inside the directory, got %q", shown, i+1, s.File)
		}
		if s.Expect != "match" && s.Expect != "no_match" {
			return nil, fmt.Errorf("%s: sample %s: expect must be match or no_match, got %q", shown, s.File, s.Expect)
		}
		if s.Provenance != "" && !slices.Contains(Provenances, s.Provenance) {
			return nil, fmt.Errorf("%s: sample %s: provenance must be one of %s, got %q", shown, s.File, strings.Join(Provenances, ", "), s.Provenance)
		}
		if s.IsReal() && (s.Source == "" || s.Licence == "") {
			return nil, fmt.Errorf("%s: sample %s: a %s sample names its source and licence", shown, s.File, s.Provenance)
		}
		if s.KnownLimitation && (s.Expect != "no_match" || s.CoveredBy == "") {
			return nil, fmt.Errorf("%s: sample %s: a known limitation is a no_match sample that names the rule covering it (covered_by)", shown, s.File)
		}
		if len(s.AcceptedDomains) > 0 && s.Format != input.EML && s.Format != input.GraphHeaders {
			return nil, fmt.Errorf("%s: sample %s: accepted_domains is for mail samples (format %s or %s), not format %q", shown, s.File, input.EML, input.GraphHeaders, s.Format)
		}
		if s.KnownLimitation && s.NearMiss {
			return nil, fmt.Errorf("%s: sample %s: a known limitation is an attack the rule misses, not a near miss", shown, s.File)
		}
	}
	m.FS, m.Dir, m.Display = fsys, dir, display
	return &m, nil
}

func unwrap(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// Locate finds the samples directory of a rule file on disk. It looks, in order, for
// (1) a directory beside the rule named like it without the extension, and (2) the
// mirrored test tree: for .../rules/<rel>.yml, .../testdata/rules/<rel>/. It returns ""
// when neither has a manifest.
func Locate(rulePath string) string {
	base := strings.TrimSuffix(rulePath, filepath.Ext(rulePath))
	if fileExists(filepath.Join(base, ManifestName)) {
		return base
	}
	abs, err := filepath.Abs(base)
	if err != nil {
		return ""
	}
	// Walk up to a directory named "rules" and try ../testdata/rules/<rel>.
	for dir := filepath.Dir(abs); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if filepath.Base(dir) != "rules" {
			continue
		}
		rel, err := filepath.Rel(dir, abs)
		if err != nil {
			continue
		}
		cand := filepath.Join(filepath.Dir(dir), "testdata", "rules", rel)
		if fileExists(filepath.Join(cand, ManifestName)) {
			return cand
		}
	}
	return ""
}

func fileExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && !info.IsDir()
}

// MatchFunc matches a batch of events and returns, for each event, the indexes of the
// rules that matched it (indexes into the rule set the detector was loaded with).
type MatchFunc func(events [][]byte) ([][]int, error)

// Verdict is the outcome of one rule's samples.
type Verdict struct {
	Positives, Negatives int
	// RealPositives and RealNegatives count the published records among them
	// (provenance other than constructed); Limitations the known-limitation negatives.
	RealPositives, RealNegatives, Limitations int
	Failures                                  []string
}

// Count returns the sample counts of m as a verdict without failures.
func Count(m *Manifest) Verdict {
	var v Verdict
	for _, s := range m.Samples {
		if s.Expect == "match" {
			v.Positives++
			if s.IsReal() {
				v.RealPositives++
			}
			continue
		}
		v.Negatives++
		if s.IsReal() {
			v.RealNegatives++
		}
		if s.KnownLimitation {
			v.Limitations++
		}
	}
	return v
}

// Passed reports whether the rule has samples of both kinds and none failed.
func (v Verdict) Passed() bool {
	return len(v.Failures) == 0 && v.Positives > 0 && v.Negatives > 0
}

// Run reads every sample of m and checks it against rule index ruleIdx with match. A sample
// with several records matches when any record matches.
func Run(m *Manifest, ruleIdx int, match MatchFunc) Verdict {
	v := Count(m)
	for _, s := range m.Samples {
		records, err := m.Records(s)
		if err != nil {
			v.Failures = append(v.Failures, err.Error())
			continue
		}
		if len(records) == 0 {
			v.Failures = append(v.Failures, fmt.Sprintf("%s: the file holds no event", filepath.Join(m.Display, s.File)))
			continue
		}
		results, err := match(records)
		if err != nil {
			v.Failures = append(v.Failures, fmt.Sprintf("%s: %v", filepath.Join(m.Display, s.File), err))
			continue
		}
		hits := 0
		for _, rs := range results {
			for _, r := range rs {
				if r == ruleIdx {
					hits++
					break
				}
			}
		}
		shown := filepath.Join(m.Display, s.File)
		switch {
		case s.Expect == "match" && hits == 0:
			v.Failures = append(v.Failures, fmt.Sprintf("%s: expected a match, none of its %d events matched", shown, len(records)))
		case s.Expect == "no_match" && hits > 0:
			v.Failures = append(v.Failures, fmt.Sprintf("%s: expected no match, %d of its %d events matched", shown, hits, len(records)))
		}
	}
	if v.Positives == 0 {
		v.Failures = append(v.Failures, fmt.Sprintf("%s: no sample expected to match", filepath.Join(m.Display, ManifestName)))
	}
	if v.Negatives == 0 {
		v.Failures = append(v.Failures, fmt.Sprintf("%s: no sample expected not to match", filepath.Join(m.Display, ManifestName)))
	}
	return v
}

// Records returns sample s's records as JSON events, decoded from the sample's input format
// (a Workspace Reports API activity, a mail message, ...), as the pack's tests run them.
func (m *Manifest) Records(s Sample) ([][]byte, error) {
	var records [][]byte
	err := m.Read(s, func(r input.Record) error {
		records = append(records, append([]byte(nil), r.JSON...))
		return nil
	})
	return records, err
}

// Read decodes sample s from its input format, with the sample's accepted mail domains, and
// calls emit for each record (whose JSON is valid only during the call). Every test that
// runs the pack's samples reads them here, so each sees the records the others see.
func (m *Manifest) Read(s Sample, emit func(input.Record) error) error {
	shown := filepath.Join(m.Display, s.File)
	f, err := m.FS.Open(path.Join(m.Dir, s.File))
	if err != nil {
		return fmt.Errorf("%s: %w", shown, unwrap(err))
	}
	defer f.Close()
	return input.ReadWith(s.Format, shown, f, input.Options{AcceptedDomains: s.AcceptedDomains}, emit)
}

// ProgramMatch returns a MatchFunc over an in-process evaluator program.
func ProgramMatch(prog *evaluator.Program) MatchFunc {
	return func(events [][]byte) ([][]int, error) {
		m := prog.NewMatcher()
		out := make([][]int, len(events))
		for i, ev := range events {
			ms, err := m.MatchJSON(ev)
			if err != nil {
				return nil, err
			}
			for _, mt := range ms {
				out[i] = append(out[i], mt.RuleIndex)
			}
		}
		return out, nil
	}
}
