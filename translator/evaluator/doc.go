// Package evaluator is sigmabridge's detection engine: it compiles ir.Rules once into a
// goroutine-safe Program and matches JSON events against it. It is the oracle every
// translated query is checked against and the engine behind `sigmabridge scan` and `test`.
//
// # Events
//
// MatchJSON decodes each line once with the package's own single-pass scanner, which
// follows only the field paths the loaded rules read and validates the rest. MatchEvent
// takes an event already decoded into map[string]any. Both feed the same evaluation.
//
// # Semantics
//
//   - Field names are case-sensitive. A dotted field `a.b.c` addresses nested objects and
//     every split of the path into keys that contain dots: {"a":{"b":{"c":1}}},
//     {"a.b":{"c":1}}, {"a":{"b.c":1}} and {"a.b.c":1} all give a.b.c the value 1. Where a
//     path crosses an array, every element stands at that path (nested arrays flatten), so
//     any element may match. Duplicate keys contribute all their values.
//   - A field's values are its scalars: strings, numbers and booleans. JSON null, [] and
//     [null] contribute nothing, so such a field is absent. An object contributes a value
//     that only counts for Exists, and only when it holds some non-null scalar.
//   - Every scalar has a text form: the string itself (invalid UTF-8 bytes read as U+FFFD),
//     a number's JSON text as written in the event (for decoded events: Go's shortest
//     formatting as encoding/json prints it, or the json.Number text), "true" or "false".
//   - Match: some value's text form matches the whole pattern, `*` any run of characters,
//     `?` exactly one character (code point). Case-insensitive unless Cased, with Unicode
//     simple case folding (strings.EqualFold). A Match whose Kind is Number compares a
//     JSON-number value numerically (10 equals 1e1 and 10.0) and any other value by text.
//     Glob matching never backtracks: its cost is at most linear in the value times the
//     pattern length.
//   - Keyword: some string value anywhere in the event (at any depth, inside arrays)
//     contains the pattern. Only JSON strings are searched: numbers, booleans and object
//     keys are not.
//   - Regex: Go RE2 syntax, case-sensitive unless the i flag; m and s as in Go. It searches
//     the text form of each value (unanchored).
//   - CIDR: a string value that parses as an IP address inside the prefix; an IPv4-mapped
//     IPv6 address counts as its IPv4 address, and a zone is ignored.
//   - Compare: a value that is a JSON number, or a string in JSON number syntax, compared
//     with the bound.
//   - Exists: the field has at least one value. Null is its negation.
//   - FieldRef: some pair of values of the two fields satisfies the shape (Field equals,
//     starts with, ends with or contains Ref), by text form, case-insensitive unless Cased;
//     false when either field is absent.
//   - TimePart: a value read as a timestamp in UTC, an RFC 3339 string or epoch seconds, or
//     epoch milliseconds from a magnitude of 1e11 on (a number or numeric string), has the
//     given minute, hour, day of month, ISO week, month or year.
//   - Not is true whenever its child is false, including when the child's field is absent.
//
// # Logsources
//
// Events carry no logsource, so every event is matched against every rule whatever the
// rule's logsource says. Routing happens through the rules' own conditions instead: a
// pipeline that turns a logsource into field conditions (an eventSource or Channel value)
// gives the prefilter below exactly what it indexes.
//
// # Compilation and speed
//
// Literals are folded at compile time, regular expressions compiled once, exact
// alternatives on a field grouped into hash sets, and siblings ordered cheapest first. A
// prefilter indexes each rule under necessary conditions (a field being present, or the
// folded text of one of its values containing a literal) and selects the candidate rules
// of an event with one Aho-Corasick pass over the values of each indexed field, so only
// rules that can match are evaluated; tests compare it with full evaluation over the whole
// SigmaHQ corpus. A Matcher reuses its memory: matching a decoded event allocates nothing
// in the common case.
package evaluator
