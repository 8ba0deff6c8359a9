package estest

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/input"
	"github.com/sigmabridge/sigmabridge/rules"
	"github.com/sigmabridge/sigmabridge/samples"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

// PackRule is one single-event rule of the built-in pack, its placeholders resolved by
// testdata/rules/placeholders.yml, with the records of its samples.
type PackRule struct {
	// Path is the rule's path under rules/ ("aws/lambda_x.yml").
	Path    string
	Rule    *ir.Rule
	Records []PackRecord
}

// PackRecord is one record of a sample, decoded from the sample's input format.
type PackRecord struct {
	// Shown is the sample file's path under testdata/rules/ ("aws/lambda_x/pos.json").
	Shown  string
	Line   int
	Expect string
	JSON   []byte
}

// PackRules loads every single-event rule of the pack (root is the repository root) with
// its sample records. Correlation files (mr_*.yml) are left out: their base rules carry no
// samples of their own, their samples are sequences for the correlation, and the
// correlation tests run them. A rule that does not load or whose samples do not read is a
// test error; fewer than 40 rules is fatal.
func PackRules(t testing.TB, root string) []PackRule {
	t.Helper()
	placeholders, err := pipeline.ParseFile(filepath.Join(root, "testdata", "rules", "placeholders.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []PackRule
	err = fs.WalkDir(rules.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yml") || strings.HasPrefix(path.Base(p), "mr_") {
			return err
		}
		data, err := fs.ReadFile(rules.FS, p)
		if err != nil {
			return err
		}
		loaded, diags := translator.LoadBytes("rules/"+p, data)
		if diags.HasErrors() || len(loaded) != 1 {
			t.Errorf("rules/%s: %d rules, %v", p, len(loaded), diags)
			return nil
		}
		r, ds := placeholders.Apply(loaded[0])
		if ds.HasErrors() {
			t.Errorf("rules/%s: placeholders: %v", p, ds)
			return nil
		}
		pr := PackRule{Path: p, Rule: r}
		dir := filepath.Join(root, "testdata", "rules", strings.TrimSuffix(p, ".yml"))
		m, err := samples.ReadManifest(os.DirFS(dir), ".", dir)
		if err != nil {
			t.Errorf("%v", err)
			return nil
		}
		for _, s := range m.Samples {
			shown := path.Join(strings.TrimSuffix(p, ".yml"), s.File)
			err := m.Read(s, func(rec input.Record) error {
				pr.Records = append(pr.Records, PackRecord{Shown: shown, Line: rec.Line, Expect: s.Expect, JSON: append([]byte(nil), rec.JSON...)})
				return nil
			})
			if err != nil {
				t.Errorf("%s: %v", shown, err)
			}
		}
		out = append(out, pr)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 40 {
		t.Fatalf("only %d rules in the pack", len(out))
	}
	return out
}
