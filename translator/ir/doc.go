// Package ir is sigmabridge's intermediate representation of a Sigma rule: one boolean tree of
// typed predicates per condition, plus the rule's metadata.
//
// The IR is the single contract between the loader, the pipelines, every backend, the
// evaluator and the plugin protocol. Backends and the detector never see YAML or sigma-go
// types; they see only these nodes. Every node prints itself in one canonical form
// (String) so golden files stay readable and two rules can be diffed.
//
// # Limits
//
// Every consumer of a tree (String, the backends' renderers, the evaluator's compiler, the
// plugin protocol) walks it recursively, so a tree's depth and size are bounded where trees
// are made, and CheckLimits says whether a tree is within them:
//
//   - MaxDepth (64 levels): the longest root-to-leaf path. The deepest rule of the SigmaHQ
//     corpus (r2026-07-01, 4,023 files) has 7 levels, after lowering its searches, items and
//     `1 of` expansions. Same-operator chains are one n-ary node (NewAnd, NewOr), so
//     `a or b or ... or z`, with or without parentheses, is 2 levels however long it is.
//     A tree encodes for the plugin protocol at two protobuf messages per level plus three
//     (request, rule, condition), so the encoded depth stays below 140, far under
//     protobuf-go's recursion limit of 10,000 (protowire.DefaultRecursionLimit).
//   - MaxNodes (200,000 nodes), counting a subtree once for each place it appears (a search
//     the condition names twice counts twice, as every renderer visits it twice). The
//     largest corpus rule (driver_load_win_vuln_drivers.yml, a list of driver hashes) has
//     4,433.
//
// The loader (package translator) refuses a rule beyond either bound with the diagnostic
// detection-too-deep or detection-too-large; the plugin host refuses to send one (a
// pipeline may add levels) with the same codes, failing that rule alone.
package ir
