package convert

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/internal/atomicfile"
	"github.com/sigmabridge/sigmabridge/translator/ruleset"
)

// checkOutput refuses, before anything is converted, an -o that cli.WriteFileAtomic would
// refuse (something other than a regular file) and one that is an input of the run: a rule
// file or a pipeline file, compared as files (os.SameFile), so another spelling of the
// path, a hard link or a symbolic link to an input is caught too.
func checkOutput(output string, files []ruleset.File, pipelines []string) error {
	if _, _, err := atomicfile.Target(output); err != nil {
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
