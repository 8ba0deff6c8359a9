// Package ir is sigmabridge's intermediate representation of a Sigma rule: one boolean tree of
// typed predicates per condition, plus the rule's metadata.
//
// The IR is the single contract between the loader, the pipelines, every backend, the
// evaluator and the plugin protocol. Backends and the detector never see YAML or sigma-go
// types; they see only these nodes. Every node prints itself in one canonical form
// (String) so golden files stay readable and two rules can be diffed.
package ir
