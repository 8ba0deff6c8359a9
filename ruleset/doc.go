// Package ruleset finds Sigma rule files under the paths a user names (or in an embedded
// rule pack) and loads them all, in parallel, in a stable order.
//
// A missing path or an unreadable file is a diagnostic like any other: the rest of the
// batch still loads.
package ruleset
