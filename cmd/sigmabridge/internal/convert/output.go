package convert

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/internal/atomicfile"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/diag"
)

// countResult prints a result's diagnostics and, when it failed, counts it: as skipped when
// only the target's limits failed it and --skip-unsupported is given, as failed otherwise.
// It reports whether the result failed.
func countResult(o *Options, diags diag.List, isFailed, unsupported bool, failed, skipped *int) bool {
	cli.PrintDiagnostics(o.Stderr, diags)
	switch {
	case !isFailed:
		return false
	case unsupported && o.SkipUnsupported:
		*skipped++
	default:
		*failed++
	}
	return true
}

// checkOutput refuses, before anything is converted, an -o that cli.WriteFileAtomic would
// refuse (something other than a regular file) and one that is an input of the run: a rule
// file or a pipeline file, compared as files (os.SameFile), so another spelling of the
// path, a hard link or a symbolic link to an input is caught too.
func checkOutput(output string, files []ruleset.File, pipelines []string) error {
	if _, err := atomicfile.Check(output); err != nil {
		return cli.Usagef("-o %s", cli.Printable(err.Error()))
	}
	out, err := os.Stat(output)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return cli.Usagef("-o %s: %v", cli.Printable(output), err)
	}
	same := func(path string) bool {
		in, err := os.Stat(path)
		return err == nil && os.SameFile(in, out)
	}
	for _, f := range files {
		if f.FS == nil && same(f.Path) {
			return cli.Usagef("-o %s is the input rule file %s: refusing to overwrite it", cli.Printable(output), cli.Printable(f.Path))
		}
	}
	for _, p := range pipelines {
		if same(p) {
			return cli.Usagef("-o %s is the pipeline file %s: refusing to overwrite it", cli.Printable(output), cli.Printable(p))
		}
	}
	return nil
}

// writeOutput writes the converted output to the -o file; the error is printed naming it.
func writeOutput(o *Options, data []byte) error {
	err := cli.WriteFileAtomic(o.Output, data)
	if err == nil {
		return nil
	}
	var nr *atomicfile.NotRegularError
	if errors.As(err, &nr) {
		// It became a FIFO or a device while the rules were converted.
		return fmt.Errorf("-o %s", cli.Printable(err.Error()))
	}
	return fmt.Errorf("writing %s: %s", cli.Printable(o.Output), cli.Printable(err.Error()))
}

// ControlCharacter is the code of a rule whose query, in the default format, would hold a
// raw control character: the target's syntax has no escape for it where it stands, and one
// query per line cannot frame it (a line feed or carriage return would split the query,
// another control character would reach the terminal).
const ControlCharacter = diag.UnsupportedControl

// unframed returns the first character of s that the default format cannot carry raw: a
// C0 control other than tab, DEL, a C1 control, or the Unicode line and paragraph
// separators.
func unframed(s string) (rune, bool) {
	for _, r := range s {
		if r < 0x20 && r != '\t' || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029 {
			return r, true
		}
	}
	return 0, false
}

// frame makes a converted rule fit the default format, one query per line: a JSON query
// (dsl) has its control characters written as JSON escapes, which mean the same; a text
// query that still holds one after the target's own escapes fails the rule with
// ControlCharacter. jsonl frames anything, so it is left alone.
func frame(r Result, o *Options) Result {
	if o.Format != "default" || r.Failed {
		return r
	}
	for i, q := range r.Queries {
		if q.JSON {
			var b bytes.Buffer
			_, _ = cli.JSONWriter(&b).Write([]byte(q.Text))
			r.Queries[i].Text = b.String()
		}
		c, bad := unframed(r.Queries[i].Text)
		if !bad {
			continue
		}
		d := backends.Diag(r.Rule, nil, o.Target, ControlCharacter,
			"the %s query holds a raw %s, which %s cannot escape where it stands and one query per line cannot hold (-f jsonl can)",
			o.Target, describeRune(c), o.Target)
		r.Diags = append(r.Diags, d)
		r.Queries, r.Failed, r.Unsupported = nil, true, r.Diags.OnlyUnsupported()
		return r
	}
	return r
}

func describeRune(r rune) string {
	switch r {
	case '\n':
		return "line feed (U+000A)"
	case '\r':
		return "carriage return (U+000D)"
	case 0x2028:
		return "line separator (U+2028)"
	case 0x2029:
		return "paragraph separator (U+2029)"
	}
	return fmt.Sprintf("control character %U", r)
}
