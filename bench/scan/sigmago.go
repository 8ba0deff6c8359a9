package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/bradleyjkemp/sigma-go"
	sigmaeval "github.com/bradleyjkemp/sigma-go/evaluator"
)

// sigma-go v0.6.6 used as a user of it would scan CloudTrail JSON lines: every rule parsed
// with sigma.ParseRule and evaluated with evaluator.ForRule, every event decoded with
// encoding/json and flattened to dotted keys (sigma-go looks fields up by exact top-level
// key; the alternative, a JSONPath field mapping per field, costs about twice as much), every
// rule evaluated on every event, and a JSON line printed per match.

// goRule is one parsed rule file.
type goRule struct {
	file string
	id   string
	eval *sigmaeval.RuleEvaluator
}

// loadSigmaGoRules parses every .yml file of dir (sorted by path). Files sigma-go cannot
// parse are returned in failed with the reason.
func loadSigmaGoRules(dir string) (rules []goRule, failed map[string]string, err error) {
	failed = map[string]string{}
	var files []string
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(files)
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		r, err := sigma.ParseRule(text)
		if err != nil {
			failed[f] = "parse: " + err.Error()
			continue
		}
		rules = append(rules, goRule{file: f, id: r.ID, eval: sigmaeval.ForRule(r)})
	}
	return rules, failed, nil
}

// flatten copies the nested objects of in into out under dotted keys; arrays and scalars
// are kept as they are.
func flatten(prefix string, in map[string]any, out map[string]any) map[string]any {
	for k, v := range in {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if m, ok := v.(map[string]any); ok {
			flatten(key, m, out)
			continue
		}
		out[key] = v
	}
	return out
}

// matchSigmaGo evaluates one rule, turning a panic into an error.
func matchSigmaGo(ctx context.Context, ev *sigmaeval.RuleEvaluator, event map[string]any) (match bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	res, err := ev.Matches(ctx, event)
	return res.Match, err
}

// eachEvent decodes every line of path with encoding/json and flattens it.
func eachEvent(path string, fn func(line int, flat map[string]any) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	line := 0
	for {
		text, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("%s:%d: line longer than 1 MiB", path, line+1)
		}
		if len(text) > 0 {
			line++
			var decoded map[string]any
			if jerr := json.Unmarshal(text, &decoded); jerr != nil {
				return fmt.Errorf("%s:%d: %v", path, line, jerr)
			}
			if ferr := fn(line, flatten("", decoded, make(map[string]any, 64))); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// sigmaGoMain is `scanbench sigmago -rules DIR FILE`: the sigma-go scan that is timed. Any
// rule error fails the run (the rules are the subset that evaluates without error).
func sigmaGoMain(args []string) error {
	fs := flag.NewFlagSet("sigmago", flag.ExitOnError)
	dir := fs.String("rules", "", "rule directory")
	_ = fs.Parse(args)
	if *dir == "" || fs.NArg() != 1 {
		return fmt.Errorf("sigmago: -rules DIR and one FILE are required")
	}
	rules, failed, err := loadSigmaGoRules(*dir)
	if err != nil {
		return err
	}
	for f, why := range failed {
		return fmt.Errorf("sigmago: %s: %s", f, why)
	}
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	defer out.Flush()
	ctx := context.Background()
	name := fs.Arg(0)
	return eachEvent(name, func(line int, flat map[string]any) error {
		for _, r := range rules {
			ok, err := matchSigmaGo(ctx, r.eval, flat)
			if err != nil {
				return fmt.Errorf("%s:%d: rule %s: %v", name, line, r.file, err)
			}
			if ok {
				out.WriteString(`{"file":`)
				out.WriteString(strconv.Quote(name))
				out.WriteString(`,"line":`)
				out.WriteString(strconv.Itoa(line))
				out.WriteString(`,"rule_id":`)
				out.WriteString(strconv.Quote(r.id))
				out.WriteString("}\n")
			}
		}
		return nil
	})
}

// subsetResult is what `scanbench subset` finds.
type subsetResult struct {
	// Kept are the rule files sigma-go evaluates without error on every event.
	Kept []string `json:"kept"`
	// Excluded maps the other rule files to the first error.
	Excluded map[string]string `json:"excluded"`
}

// subsetMain is `scanbench subset -rules DIR -o OUT FILE`: evaluates every rule of DIR with
// sigma-go on every event of FILE (a rule is dropped at its first error or panic), copies
// the rules that never failed to OUT and prints a subsetResult as JSON.
func subsetMain(args []string) error {
	fs := flag.NewFlagSet("subset", flag.ExitOnError)
	dir := fs.String("rules", "", "rule directory")
	outDir := fs.String("o", "", "directory for the rules sigma-go evaluates")
	_ = fs.Parse(args)
	if *dir == "" || *outDir == "" || fs.NArg() != 1 {
		return fmt.Errorf("subset: -rules DIR, -o DIR and one FILE are required")
	}
	rules, failed, err := loadSigmaGoRules(*dir)
	if err != nil {
		return err
	}
	res := subsetResult{Excluded: failed}
	alive := make([]bool, len(rules))
	for i := range alive {
		alive[i] = true
	}
	ctx := context.Background()
	err = eachEvent(fs.Arg(0), func(line int, flat map[string]any) error {
		for i, r := range rules {
			if !alive[i] {
				continue
			}
			if _, err := matchSigmaGo(ctx, r.eval, flat); err != nil {
				alive[i] = false
				res.Excluded[r.file] = fmt.Sprintf("line %d: %v", line, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	for i, r := range rules {
		if !alive[i] {
			continue
		}
		rel, err := filepath.Rel(*dir, r.file)
		if err != nil {
			return err
		}
		dst := filepath.Join(*outDir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		text, err := os.ReadFile(r.file)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, text, 0o644); err != nil {
			return err
		}
		res.Kept = append(res.Kept, rel)
	}
	excluded := map[string]string{}
	for f, why := range res.Excluded {
		if rel, err := filepath.Rel(*dir, f); err == nil {
			f = rel
		}
		excluded[f] = why
	}
	res.Excluded = excluded
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
