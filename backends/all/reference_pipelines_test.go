package all_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/backends/goldentest"
)

// referencePipelinesPath holds the reference converter's corpus counts per pipeline and
// target (written by TestReferencePipelineCounts -update, read by TestCorpusCoverage).
const referencePipelinesPath = "../../testdata/corpus/reference-pipelines.tsv"

// referenceRun is one conversion of the corpus by the reference converter: its pipeline and
// target, sigma-cli's extra flags, and why they are needed.
type referenceRun struct {
	pipeline, target string
	flags            []string
	note             string
}

var referenceRuns = []referenceRun{
	{"splunk_windows", "splunk", nil, ""},
	{"splunk_cim", "splunk", nil, ""},
	{"ecs_windows", "lucene", nil, ""},
	{"ecs_windows", "eql", nil, ""},
	{"ecs_windows", "esql", []string{"--disable-pipeline-check"}, "ecs_windows does not list esql; run with --disable-pipeline-check"},
}

// referenceCount is one line of reference-pipelines.tsv; -1 for both counts when the
// reference gave none (n/a in the file).
type referenceCount struct {
	converted, failed int
	note              string
}

// readReferenceCounts reads reference-pipelines.tsv: pipeline, target, converted, failed,
// note, tab-separated, with a header line.
func readReferenceCounts(t testing.TB) map[string]referenceCount {
	data, err := os.ReadFile(referencePipelinesPath)
	if err != nil {
		t.Fatalf("%v (regenerate with bash bench/reference-pipelines.sh)", err)
	}
	out := map[string]referenceCount{}
	for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			t.Fatalf("%s:%d: want 5 tab-separated fields, have %d", referencePipelinesPath, i+1, len(f))
		}
		if f[2] == "n/a" && f[3] == "n/a" {
			out[f[0]+" "+f[1]] = referenceCount{-1, -1, f[4]}
			continue
		}
		ok, err1 := strconv.Atoi(f[2])
		failed, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			t.Fatalf("%s:%d: counts are not numbers: %q %q", referencePipelinesPath, i+1, f[2], f[3])
		}
		out[f[0]+" "+f[1]] = referenceCount{ok, failed, f[4]}
	}
	return out
}

// TestReferencePipelineCounts converts the corpus with the reference converter (sigma-cli)
// once per pipeline and target of referenceRuns and checks (or, with -update, writes)
// testdata/corpus/reference-pipelines.tsv. It needs SIGMABRIDGE_PYSIGMA_BIN (.ci/test.sh sets
// it; bash bench/reference-pipelines.sh regenerates the file).
func TestReferencePipelineCounts(t *testing.T) {
	// Clean, as filepath.Join cleans the trees sigma-cli is given and prints back: CI's
	// corpus path has a "..".
	root := filepath.Clean(corpusDir(t))
	bin := os.Getenv("SIGMABRIDGE_PYSIGMA_BIN")
	if bin == "" {
		t.Skip("SIGMABRIDGE_PYSIGMA_BIN is unset: the reference converter is not installed (bash bench/reference-pipelines.sh installs it)")
	}
	var trees []string
	for _, tr := range corpusTrees {
		trees = append(trees, filepath.Join(root, tr))
	}
	total := len(loadTrees(t, root, corpusTrees))
	var b strings.Builder
	b.WriteString("pipeline\ttarget\tconverted\tfailed\tnote\n")
	for _, run := range referenceRuns {
		failed, aborted, err := referenceFailures(bin, root, run, trees)
		if err != nil {
			t.Fatalf("%s -t %s: %v", run.pipeline, run.target, err)
		}
		if aborted != "" {
			// sigma-cli stops at an exception its backend raises instead of a Sigma error,
			// even with -s: the run gives no count.
			note := strings.TrimPrefix(run.note+"; ", "; ") + "sigma-cli stopped with no count: " + aborted
			fmt.Fprintf(&b, "%s\t%s\tn/a\tn/a\t%s\n", run.pipeline, run.target, note)
			t.Logf("reference %s/%s: aborted: %s", run.pipeline, run.target, aborted)
			continue
		}
		fmt.Fprintf(&b, "%s\t%s\t%d\t%d\t%s\n", run.pipeline, run.target, total-failed, failed, run.note)
		t.Logf("reference %s/%s: %d converted, %d failed", run.pipeline, run.target, total-failed, failed)
	}
	if *goldentest.Update {
		if err := os.WriteFile(referencePipelinesPath, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(referencePipelinesPath)
	if err != nil {
		t.Fatalf("%v (regenerate with bash bench/reference-pipelines.sh)", err)
	}
	if string(want) != b.String() {
		t.Errorf("%s is stale: regenerate it with bash bench/reference-pipelines.sh\n--- got\n%s--- want\n%s", referencePipelinesPath, b.String(), want)
	}
}

// referenceFailures runs sigma-cli with --skip-unsupported over the trees and counts the
// distinct rule files it lists under "Ignored errors". When sigma-cli stops with an error it
// returns that error's line, with the corpus path made relative, as aborted.
func referenceFailures(bin, root string, run referenceRun, trees []string) (failed int, aborted string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	args := append([]string{"convert", "-t", run.target, "-p", run.pipeline, "-s"}, run.flags...)
	args = append(args, trees...)
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "sigma"), args...)
	var stderr bytes.Buffer
	cmd.Stdout = nil
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if _, exit := err.(*exec.ExitError); exit && ctx.Err() == nil {
			for _, line := range strings.Split(stderr.String(), "\n") {
				if msg, ok := strings.CutPrefix(line, "Error: "); ok {
					return 0, strings.ReplaceAll(msg, root+string(filepath.Separator), ""), nil
				}
			}
		}
		return 0, "", fmt.Errorf("%v: %s", err, lastLines(stderr.String(), 5))
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(&stderr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	in := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Ignored errors") {
			in = true
			continue
		}
		if !in || !strings.HasPrefix(line, root) {
			continue
		}
		path, _, ok := strings.Cut(line, ".yml: ")
		if ok {
			seen[path] = true
		}
	}
	return len(seen), "", sc.Err()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
