package rules

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/sigmabridge/sigmabridge/samples"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// samplesRoot is the mirrored tree of sample logs, one directory per rule file.
const samplesRoot = "../testdata/rules"

// platforms are the pack's directories, one per platform.
var platforms = []string{"aws", "azure", "gcp", "m365", "workspace"}

// standardServices are the logsources of the Sigma taxonomy the pack uses (T1648.md 3.1); any
// other logsource is project-local and needs a sigmabridge-local definition.
var standardServices = map[string]string{
	"aws":   "cloudtrail",
	"azure": "activitylogs",
	"gcp":   "gcp.audit",
	"m365":  "audit",
}

var (
	uuidV4    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	isoDate   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	snakeFile = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)*\.yml$`)
	tagForm   = regexp.MustCompile(`^attack\.([a-z]+(-[a-z]+)*|t\d{4}(\.\d{3})?)$`)
	urlForm   = regexp.MustCompile(`^https://[^\s]+$`)
	searchKey = regexp.MustCompile(`^(sel|filter)_[a-z0-9_]+$`)
)

// ruleDoc is one YAML document of a rule file, decoded loosely so the test can report every
// missing or malformed key instead of failing on the first.
type ruleDoc struct {
	Title          string            `yaml:"title"`
	ID             string            `yaml:"id"`
	Name           string            `yaml:"name"`
	Status         string            `yaml:"status"`
	Description    string            `yaml:"description"`
	References     []string          `yaml:"references"`
	Author         string            `yaml:"author"`
	Date           string            `yaml:"date"`
	Modified       string            `yaml:"modified"`
	Tags           []string          `yaml:"tags"`
	Logsource      map[string]string `yaml:"logsource"`
	Detection      yaml.Node         `yaml:"detection"`
	Correlation    yaml.Node         `yaml:"correlation"`
	FalsePositives []string          `yaml:"falsepositives"`
	Level          string            `yaml:"level"`
}

// packFile is one rule file of the pack and its decoded documents.
type packFile struct {
	path     string // relative to this package, e.g. "aws/x.yml"
	platform string
	docs     []ruleDoc
}

// loadPack reads every rule file of the embedded pack.
func loadPack(t *testing.T) []packFile {
	t.Helper()
	var files []packFile
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(FS, p)
		if err != nil {
			return err
		}
		pf := packFile{path: p, platform: strings.SplitN(p, "/", 2)[0]}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc ruleDoc
			if err := dec.Decode(&doc); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				t.Errorf("%s: not valid YAML: %v", p, err)
				break
			}
			pf.docs = append(pf.docs, doc)
		}
		files = append(files, pf)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("the embedded pack holds no rule files")
	}
	return files
}

// isCorrelationFile reports whether the file holds a correlation rule (mr_ prefix and a
// correlation document).
func (pf packFile) isCorrelationFile() bool {
	return slices.ContainsFunc(pf.docs, func(d ruleDoc) bool { return !d.Correlation.IsZero() })
}

func TestEmbeddedPackMatchesFilesOnDisk(t *testing.T) {
	var onDisk []string
	for _, p := range platforms {
		matches, err := filepath.Glob(filepath.Join(p, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			onDisk = append(onDisk, filepath.ToSlash(m))
		}
	}
	var embedded []string
	_ = fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			embedded = append(embedded, p)
		}
		return err
	})
	slices.Sort(onDisk)
	slices.Sort(embedded)
	if !slices.Equal(onDisk, embedded) {
		t.Errorf("embedded files differ from the rule directories:\n on disk:  %v\n embedded: %v", onDisk, embedded)
	}
	dirs, _ := os.ReadDir(".")
	for _, d := range dirs {
		if d.IsDir() && !slices.Contains(platforms, d.Name()) {
			t.Errorf("directory %s/ is not one of the pack's platforms %v and is not embedded", d.Name(), platforms)
		}
	}
}

func TestRuleMetadata(t *testing.T) {
	ids := map[string]string{}
	singleRules := 0
	for _, pf := range loadPack(t) {
		base := path.Base(pf.path)
		if !snakeFile.MatchString(base) {
			t.Errorf("%s: file name is not snake_case .yml", pf.path)
		}
		if pf.isCorrelationFile() {
			if !strings.HasPrefix(base, "mr_") {
				t.Errorf("%s: a correlation file's name starts with mr_", pf.path)
			}
		} else if len(pf.docs) != 1 {
			t.Errorf("%s: a single-event rule file holds exactly one YAML document, found %d", pf.path, len(pf.docs))
		}
		for i, d := range pf.docs {
			where := fmt.Sprintf("%s (document %d)", pf.path, i+1)
			if !uuidV4.MatchString(d.ID) {
				t.Errorf("%s: id %q is not a lower-case UUIDv4", where, d.ID)
			} else if prev, dup := ids[d.ID]; dup {
				t.Errorf("%s: id %s is also used by %s", where, d.ID, prev)
			} else {
				ids[d.ID] = where
			}
			if d.Title == "" || utf8.RuneCountInString(d.Title) > 110 {
				t.Errorf("%s: title must be 1-110 characters, has %d", where, utf8.RuneCountInString(d.Title))
			}
			isBase := pf.isCorrelationFile() && d.Correlation.IsZero()
			if isBase {
				checkBaseRule(t, where, d)
				continue
			}
			if d.Correlation.IsZero() {
				singleRules++
				checkDetection(t, where, d)
				checkLogsource(t, where, pf.platform, d)
			}
			checkMetadata(t, where, d)
		}
	}
	if singleRules < 40 {
		t.Errorf("the pack has %d single-event rules, want at least 40", singleRules)
	}
}

// checkMetadata checks the metadata a standalone or correlation rule carries (T1648.md 6.1).
func checkMetadata(t *testing.T, where string, d ruleDoc) {
	t.Helper()
	if d.Status != "experimental" && d.Status != "test" && d.Status != "stable" {
		t.Errorf("%s: status %q is not experimental, test or stable", where, d.Status)
	}
	if len(strings.Fields(d.Description)) < 8 {
		t.Errorf("%s: description is missing or too short to say what, why and the blind spots", where)
	}
	if len(d.References) == 0 {
		t.Errorf("%s: no references", where)
	}
	if !slices.Contains(d.References, "https://attack.mitre.org/techniques/T1648/") {
		t.Errorf("%s: references must include https://attack.mitre.org/techniques/T1648/", where)
	}
	for _, r := range d.References {
		if !urlForm.MatchString(r) {
			t.Errorf("%s: reference %q is not a full https URL", where, r)
		}
	}
	if d.Author != "sigmabridge project" {
		t.Errorf("%s: author %q, want \"sigmabridge project\"", where, d.Author)
	}
	for key, v := range map[string]string{"date": d.Date, "modified": d.Modified} {
		if !isoDate.MatchString(v) {
			t.Errorf("%s: %s %q is not YYYY-MM-DD", where, key, v)
		}
	}
	if d.Modified != "" && d.Date != "" && d.Modified < d.Date {
		t.Errorf("%s: modified %s is before date %s", where, d.Modified, d.Date)
	}
	if !slices.Contains(d.Tags, "attack.execution") || !slices.Contains(d.Tags, "attack.t1648") {
		t.Errorf("%s: tags %v must include attack.execution and attack.t1648", where, d.Tags)
	}
	for _, tag := range d.Tags {
		if !tagForm.MatchString(tag) {
			t.Errorf("%s: tag %q is not a lower-case ATT&CK tag (attack.<tactic-name> or attack.tNNNN[.NNN])", where, tag)
		}
	}
	if len(d.FalsePositives) == 0 {
		t.Errorf("%s: no falsepositives", where)
	}
	for _, fp := range d.FalsePositives {
		if l := strings.ToLower(strings.TrimSpace(fp)); l == "unknown" || l == "none" || len(strings.Fields(fp)) < 3 {
			t.Errorf("%s: false positive %q is not a concrete situation", where, fp)
		}
	}
	switch d.Level {
	case "informational", "low", "medium", "high":
	case "critical":
		if d.Correlation.IsZero() {
			t.Errorf("%s: level critical is reserved for the A16 correlation", where)
		}
	default:
		t.Errorf("%s: level %q is not a Sigma level", where, d.Level)
	}
}

// checkBaseRule checks a base rule of a correlation file: title, id, name, logsource and
// detection, no standalone metadata.
func checkBaseRule(t *testing.T, where string, d ruleDoc) {
	t.Helper()
	if !strings.HasPrefix(d.Name, "t1648_") {
		t.Errorf("%s: base rule name %q must start with t1648_", where, d.Name)
	}
	if len(d.Logsource) == 0 || d.Detection.IsZero() {
		t.Errorf("%s: base rule needs logsource and detection", where)
	}
	checkDetection(t, where, d)
}

// checkLogsource checks the logsource against the platform directory and the local-logsource
// convention (T1648.md 3.1).
func checkLogsource(t *testing.T, where, platform string, d ruleDoc) {
	t.Helper()
	product, service := d.Logsource["product"], d.Logsource["service"]
	wantProduct := map[string]string{"aws": "aws", "azure": "azure", "gcp": "gcp", "m365": "m365", "workspace": "gcp"}[platform]
	if product != wantProduct {
		t.Errorf("%s: logsource product %q, want %q for the %s directory", where, product, wantProduct, platform)
	}
	if service == "" {
		t.Errorf("%s: logsource has no service", where)
	}
	if platform == "workspace" && !strings.HasPrefix(service, "google_workspace.") {
		t.Errorf("%s: Workspace rules use a google_workspace.<application> service, not %q", where, service)
	}
	def, hasDef := d.Logsource["definition"]
	if standardServices[product] == service && platform != "workspace" {
		if hasDef {
			t.Errorf("%s: standard logsource %s/%s needs no definition", where, product, service)
		}
		return
	}
	if !strings.HasPrefix(def, "sigmabridge-local: ") {
		t.Errorf("%s: project-local logsource %s/%s needs definition 'sigmabridge-local: ...'", where, product, service)
	}
	if d.Status != "experimental" {
		t.Errorf("%s: a rule on a project-local logsource stays experimental, status is %q", where, d.Status)
	}
}

// checkDetection checks the detection conventions: sel_/filter_ names, no keyword searches,
// and the versioned-name convention for Lambda APIs (T1648.md 2.1.2).
func checkDetection(t *testing.T, where string, d ruleDoc) {
	t.Helper()
	det := &d.Detection
	if det.Kind != yaml.MappingNode {
		t.Errorf("%s: detection is not a mapping", where)
		return
	}
	hasCondition := false
	lambda := false
	bare, prefixed := map[string]bool{}, map[string]bool{}
	for i := 0; i+1 < len(det.Content); i += 2 {
		key, val := det.Content[i].Value, det.Content[i+1]
		if key == "condition" {
			hasCondition = true
			continue
		}
		if key == "timeframe" {
			continue
		}
		if !searchKey.MatchString(key) {
			t.Errorf("%s: search %q is not named sel_* or filter_*", where, key)
		}
		var maps []*yaml.Node
		switch val.Kind {
		case yaml.MappingNode:
			maps = []*yaml.Node{val}
		case yaml.SequenceNode:
			for _, item := range val.Content {
				if item.Kind != yaml.MappingNode {
					t.Errorf("%s: search %s is a keyword search (a value with no field)", where, key)
					continue
				}
				maps = append(maps, item)
			}
		default:
			t.Errorf("%s: search %s is a keyword search (a value with no field)", where, key)
		}
		for _, m := range maps {
			fields := map[string]bool{}
			for j := 0; j+1 < len(m.Content); j += 2 {
				field, fv := m.Content[j].Value, m.Content[j+1]
				fields[field] = true
				if field == "eventSource" && slices.Contains(scalars(fv), "lambda.amazonaws.com") {
					lambda = true
				}
				switch field {
				case "eventName":
					for _, s := range scalars(fv) {
						bare[s] = true
					}
				case "eventName|startswith":
					for _, s := range scalars(fv) {
						prefixed[s] = true
					}
				}
			}
			if fields["eventName"] && fields["eventName|startswith"] {
				t.Errorf("%s: search %s puts eventName and eventName|startswith in one map (AND); write a list of maps (OR)", where, key)
			}
		}
	}
	if !hasCondition {
		t.Errorf("%s: detection has no condition", where)
	}
	if !lambda {
		return
	}
	for name := range bare {
		if !prefixed[name+"20"] {
			t.Errorf("%s: Lambda API %s is matched bare only; add eventName|startswith: %s20", where, name, name)
		}
	}
	for p := range prefixed {
		name, ok := strings.CutSuffix(p, "20")
		if !ok || !bare[name] {
			t.Errorf("%s: eventName|startswith %q must be <bare name>20 next to the bare name", where, p)
		}
	}
}

// scalars returns the scalar values of a YAML value or list of values.
func scalars(n *yaml.Node) []string {
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	var out []string
	for _, c := range n.Content {
		if c.Kind == yaml.ScalarNode {
			out = append(out, c.Value)
		}
	}
	return out
}

// readManifest reads dir/samples.yml with the runner's strict reader.
func readManifest(dir string) (*samples.Manifest, error) {
	return samples.ReadManifest(os.DirFS(dir), ".", dir)
}

// sampleDir returns the samples directory of a rule file of the pack.
func sampleDir(rulePath string) string {
	return filepath.Join(samplesRoot, strings.TrimSuffix(filepath.FromSlash(rulePath), ".yml"))
}

func TestEverySingleRuleHasSamples(t *testing.T) {
	provenances := samples.Provenances
	formats := []string{"", "jsonl", "cloudtrail", "cloudwatch-logs", "workspace", "eml", "graph-headers", "azure-activity", "azure-resource"}
	seenDirs := map[string]bool{}
	for _, pf := range loadPack(t) {
		dir := sampleDir(pf.path)
		seenDirs[dir] = true
		if pf.isCorrelationFile() {
			continue // its sequences are run by sigmabridge test (RunCorrelationSamples)
		}
		m, err := readManifest(dir)
		if err != nil {
			t.Errorf("%s: %v", pf.path, err)
			continue
		}
		if len(pf.docs) == 1 && m.RuleID != pf.docs[0].ID {
			t.Errorf("%s/samples.yml: rule_id %s, but the rule's id is %s", dir, m.RuleID, pf.docs[0].ID)
		}
		var positives, nearMisses int
		listed := map[string]bool{}
		for _, s := range m.Samples {
			where := fmt.Sprintf("%s/samples.yml: %s", dir, s.File)
			if s.File == "" || s.File != filepath.Base(s.File) {
				t.Errorf("%s: file must be a plain file name", where)
				continue
			}
			if listed[s.File] {
				t.Errorf("%s: listed twice", where)
			}
			listed[s.File] = true
			if fi, err := os.Stat(filepath.Join(dir, s.File)); err != nil || fi.Size() == 0 {
				t.Errorf("%s: file missing or empty", where)
			}
			switch s.Expect {
			case "match":
				positives++
				if s.NearMiss {
					t.Errorf("%s: near_miss is for negatives", where)
				}
				if !strings.HasPrefix(s.File, "pos_") {
					t.Errorf("%s: positive samples are named pos_*", where)
				}
			case "no_match":
				if s.NearMiss {
					nearMisses++
				}
				if !strings.HasPrefix(s.File, "neg_") {
					t.Errorf("%s: negative samples are named neg_*", where)
				}
			default:
				t.Errorf("%s: expect %q is not match or no_match", where, s.Expect)
			}
			if !slices.Contains(provenances, s.Provenance) {
				t.Errorf("%s: provenance %q is not one of %v", where, s.Provenance, provenances)
			}
			if s.Basis == "" && s.Why == "" {
				t.Errorf("%s: say where the sample comes from (basis) or why it must not match (why)", where)
			}
			if !slices.Contains(formats, s.Format) {
				t.Errorf("%s: format %q is not an input format", where, s.Format)
			}
		}
		if positives == 0 || nearMisses == 0 {
			t.Errorf("%s: needs at least one positive and one near-miss negative, has %d and %d", dir, positives, nearMisses)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != "samples.yml" && !listed[e.Name()] {
				t.Errorf("%s/%s: not listed in samples.yml", dir, e.Name())
			}
		}
	}
	// Every sample directory belongs to a rule.
	for _, p := range platforms {
		entries, err := os.ReadDir(filepath.Join(samplesRoot, p))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				t.Error(err)
			}
			continue
		}
		for _, e := range entries {
			if dir := filepath.Join(samplesRoot, p, e.Name()); e.IsDir() && !seenDirs[dir] {
				t.Errorf("%s: sample directory without a rule file", dir)
			}
		}
	}
}
