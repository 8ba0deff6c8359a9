// Package goldentest is the golden-file harness every backend's tests share: it loads each
// rule under testdata/golden/rules/, converts it with a backend and compares the result
// with testdata/golden/<target>/<rule>.txt.
//
// A golden file holds, per rule, the loader's diagnostics as `load <code>: <message>`, the
// backend's diagnostics as `<code>: <message>` (`warning <code>: <message>` for warnings)
// and, when the rule converted, one query per line. Run the tests with -update to rewrite
// the files; the flag is defined here, so a backend test must not define its own.
package goldentest
