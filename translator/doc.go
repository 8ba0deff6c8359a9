// Package translator loads Sigma rules and lowers them into the IR (package ir): the syntax
// tree of package sigma (Lower), searches and items with every Sigma 2.x modifier applied in
// spec order (LowerSearch, which a pipeline's add_condition uses too), and conditions with
// their searches inlined.
//
// Where sigma-go is wrong or silent (the condition grammar, multi-document files, correlation
// and filter documents, value types) package sigma and this package do the work; each such
// departure is pinned by a test in departures_test.go.
//
// # Limits
//
// A rule is untrusted input. Each bound below fails the one rule (or file) that crosses it,
// with a diagnostic naming the file, the line and the limit; every other rule of the file
// and of the batch still loads, so every command still converts, scans and checks them.
// The figures in brackets are the largest found in the SigmaHQ corpus (r2026-07-01, 4,023
// files), which no limit comes near:
//
//   - MaxRuleFileBytes, 4 MiB (295 KB, driver_load_win_vuln_drivers.yml): a longer file is
//     refused (rule-too-large) and not read past the limit.
//   - MaxConditionBytes, 16 KiB (551 bytes): a longer condition is refused before it is
//     tokenised (condition-too-long). The one condition parser (package sigma) applies this
//     and the next bound to rule conditions and to pipeline condition expressions alike.
//   - MaxConditionDepth, 32 levels of `(` and `not` (2): the parser stops at the 33rd
//     (condition-too-deep), so it recurses a bounded number of times whatever the input;
//     `a or b or c` chains are loops, not recursion, and do not count.
//   - MaxSearches, 1,000 searches in one detection (34): the condition's `x of pattern`
//     compares a pattern with every search (detection-too-large).
//   - ir.MaxDepth, 64 levels (7) and ir.MaxNodes, 200,000 nodes (4,433), checked on each
//     lowered condition, where searches, their items and `1 of` expansions add levels and a
//     search named twice counts twice (detection-too-deep, detection-too-large). Values
//     are counted as they are lowered, so a list or a `windash` expansion (five forms per
//     flag) that would cross ir.MaxNodes stops there instead of being built first.
//
// YAML itself is bounded by yaml.v3: it refuses nesting deeper than 10,000 levels and
// excessive alias expansion (yaml-error).
package translator
