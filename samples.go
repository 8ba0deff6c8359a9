package sigmabridge

import (
	"embed"
	"io/fs"
)

//go:embed testdata/rules
var samplesFS embed.FS

// PackSamples holds the built-in pack's samples, one directory per rule file, mirroring
// rules/ (for example "aws/lambda_policy_any_principal/samples.yml"), plus profile.yml, the
// organisation profile the samples assume, and placeholders.yml, the same values as a pipeline.
var PackSamples fs.FS = mustSub(samplesFS, "testdata/rules")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}
