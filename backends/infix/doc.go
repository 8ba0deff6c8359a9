// Package infix renders an IR boolean tree as text in an infix query language (Splunk SPL,
// Lucene query_string, ES|QL, EQL), with the dialect's and/or/not tokens and grouping.
//
// A Dialect is an immutable value describing only the boolean syntax; leaves are rendered by
// a callback the backend supplies. Every child whose operator differs from its parent's is
// parenthesised, so the output never depends on the target's operator precedence (docs/peers.md
// B1), negations are simplified in the tree rather than by patching text (B7, B11), and all
// diagnostics of a tree are collected, not only the first.
package infix
