// Package all registers every built-in backend: import it for its side effect.
//
// Its tests convert the whole SigmaHQ corpus with every backend and keep the committed
// coverage report (testdata/corpus/REPORT.md) honest.
package all
