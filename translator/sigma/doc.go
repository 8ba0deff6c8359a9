// Package sigma is the Sigma syntax tree: a file parsed once into documents (rules,
// correlations, filters), a rule's detection into named searches, each search into items
// (field, modifiers, typed values, YAML positions), and each condition into an expression
// tree (Ref, Not, And, Or) with columns. The loader lowers the tree to the IR
// (translator.Lower), the linter checks it (lint), and a pipeline's add_condition
// and condition expressions go through the same reader and parser (translator/pipeline).
//
// Parsing never stops at a problem of a part: it records it where it was found (Search.Err,
// Map.Err, Item.Err, Value.Err, Detection.Diags, Condition.Err) for the loader to report and
// the linter to skip. Only a YAML syntax error ends the reading of a file (File.Err).
//
// Values keep their YAML type and text: integers are normalised to decimal (0x10 is 16),
// floats keep their text (1.50), timestamps stay text (2024-01-02). Modifiers are described
// once, in the table LookupModifier reads.
//
// sigma-go (github.com/bradleyjkemp/sigma-go) reads the shape of each search and splits each
// `field|mod|mod` key; the tree checks it read the key it claims to, and adds what sigma-go
// does not keep: positions, typed values, multi-document files, correlation and filter
// documents, and the condition grammar (translator/departures_test.go pins the differences).
//
// Condition grammar, limits and the grammar without quantifiers a pipeline's
// rule_cond_expr uses: see condition.go. MaxConditionBytes, MaxConditionDepth and
// MaxSearches are the bounds translator/doc.go documents.
package sigma
