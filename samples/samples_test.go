package samples

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestReadManifestStrict(t *testing.T) {
	fsys := fstest.MapFS{
		"ok/samples.yml":     {Data: []byte("rule_id: x\nsamples:\n  - {file: a.jsonl, expect: match}\n  - {file: b.jsonl, expect: no_match, near_miss: true}\n")},
		"typo/samples.yml":   {Data: []byte("rule_id: x\nsamples:\n  - {file: a.jsonl, expcet: match}\n")},
		"badexp/samples.yml": {Data: []byte("samples:\n  - {file: a.jsonl, expect: maybe}\n")},
		"escape/samples.yml": {Data: []byte("samples:\n  - {file: ../x.jsonl, expect: match}\n")},
	}
	m, err := ReadManifest(fsys, "ok", "shown/ok")
	if err != nil || m.Positives() != 1 || m.Negatives() != 1 || !m.Samples[1].NearMiss {
		t.Fatalf("ok manifest: %+v %v", m, err)
	}
	for dir, want := range map[string]string{"typo": "line 3", "badexp": "maybe", "escape": "inside the directory", "missing": "file does not exist"} {
		_, err := ReadManifest(fsys, dir, "shown/"+dir)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "shown/"+dir) {
			t.Errorf("%s: got %v, want an error naming the file and %q", dir, err, want)
		}
	}
}

func TestRunVerdicts(t *testing.T) {
	fsys := fstest.MapFS{
		"r/samples.yml": {Data: []byte("samples:\n  - {file: pos.jsonl, expect: match}\n  - {file: neg.jsonl, expect: no_match}\n  - {file: bad.jsonl, expect: no_match}\n")},
		"r/pos.jsonl":   {Data: []byte(`{"hit":1}` + "\n" + `{"hit":0}` + "\n")},
		"r/neg.jsonl":   {Data: []byte(`{"hit":1}` + "\n")},
		"r/bad.jsonl":   {Data: []byte("{nope\n")},
	}
	m, err := ReadManifest(fsys, "r", "r")
	if err != nil {
		t.Fatal(err)
	}
	// A toy detector: rule 0 matches events containing "hit":1.
	match := func(events [][]byte) ([][]int, error) {
		out := make([][]int, len(events))
		for i, e := range events {
			if strings.Contains(string(e), `"hit":1`) {
				out[i] = []int{3, 0}
			}
		}
		return out, nil
	}
	v := Run(m, 0, match)
	if v.Positives != 1 || v.Negatives != 2 || v.Passed() {
		t.Fatalf("verdict %+v", v)
	}
	joined := strings.Join(v.Failures, "\n")
	if !strings.Contains(joined, "r/neg.jsonl: expected no match, 1 of its 1 events matched") || !strings.Contains(joined, "r/bad.jsonl:1") {
		t.Errorf("failures:\n%s", joined)
	}
	// Another rule index: the positive no longer fires.
	if v := Run(m, 1, match); !strings.Contains(strings.Join(v.Failures, "\n"), "expected a match") {
		t.Errorf("rule 1: %+v", v)
	}
	// A detector error is a failure of that sample, not a crash.
	v = Run(m, 0, func([][]byte) ([][]int, error) { return nil, errors.New("plugin crashed") })
	if !strings.Contains(strings.Join(v.Failures, "\n"), "plugin crashed") {
		t.Errorf("detector error lost: %+v", v)
	}
}

func TestLocate(t *testing.T) {
	root := t.TempDir()
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("samples: []\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	beside := filepath.Join(root, "a", "rule.yml")
	mk(beside)
	mk(filepath.Join(root, "a", "rule", ManifestName))
	if got := Locate(beside); got != filepath.Join(root, "a", "rule") {
		t.Errorf("beside: %q", got)
	}
	mirrored := filepath.Join(root, "proj", "rules", "aws", "x.yml")
	mk(mirrored)
	mk(filepath.Join(root, "proj", "testdata", "rules", "aws", "x", ManifestName))
	if got := Locate(mirrored); got != filepath.Join(root, "proj", "testdata", "rules", "aws", "x") {
		t.Errorf("mirrored: %q", got)
	}
	lonely := filepath.Join(root, "b", "y.yml")
	mk(lonely)
	if got := Locate(lonely); got != "" {
		t.Errorf("no samples: %q", got)
	}
}

func TestReadManifestProvenanceFields(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"samples:\n  - {file: p.jsonl, expect: match, provenance: real}\n", "names its source and licence"},
		{"samples:\n  - {file: p.jsonl, expect: match, provenance: guessed}\n", "provenance must be one of"},
		{"samples:\n  - {file: n.jsonl, expect: no_match, known_limitation: true}\n", "covered_by"},
		{"samples:\n  - {file: n.jsonl, expect: match, known_limitation: true, covered_by: x.yml}\n", "covered_by"},
		{"samples:\n  - {file: n.jsonl, expect: no_match, near_miss: true, known_limitation: true, covered_by: x.yml}\n", "not a near miss"},
	} {
		_, err := ReadManifest(fstest.MapFS{"d/samples.yml": {Data: []byte(tc.body)}}, "d", "d")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "samples.yml") {
			t.Errorf("%q: error %v, want one naming the file and %q", tc.body, err, tc.want)
		}
	}
	m, err := ReadManifest(fstest.MapFS{"d/samples.yml": {Data: []byte("samples:\n" +
		"  - {file: p.jsonl, expect: match, provenance: real, source: 'a/b:c.json', licence: Apache-2.0}\n" +
		"  - {file: n.jsonl, expect: no_match, provenance: constructed, known_limitation: true, covered_by: x.yml}\n")}}, "d", "d")
	if err != nil {
		t.Fatal(err)
	}
	if v := Count(m); v.RealPositives != 1 || v.RealNegatives != 0 || v.Limitations != 1 || v.Positives != 1 || v.Negatives != 1 {
		t.Errorf("Count = %+v", v)
	}
}
