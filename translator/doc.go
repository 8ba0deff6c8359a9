// Package translator loads Sigma rules and lowers them into the IR (package ir): YAML
// documents through sigma-go's search structure, the project's own condition parser, and
// every Sigma 2.x modifier applied in spec order.
//
// Wherever sigma-go is wrong or silent (the condition grammar, multi-document files,
// correlation and filter documents, value types) this package does the work itself; each
// such departure is pinned by a test in departures_test.go.
package translator
