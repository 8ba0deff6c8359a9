// Package splunk renders rules as classic Splunk SPL (target "splunk") that means exactly
// what the IR means, and fails a rule with a named diagnostic where SPL cannot.
//
// # Query shape
//
// A query is `<state prefix> AND <search terms> [| where <eval expression>]`, one line.
// The condition is simplified (no double negation, Not(Null) is Exists) and split at its
// top-level AND. A conjunct that `search` expresses exactly (see searchLeaf) stays in the
// search. Every other conjunct is rendered whole, never split, as one eval expression in a
// single trailing `| where`. A pipe is an AND and every hoisted conjunct is a child of the
// top-level AND, so this is exact (PEERS.md B2); an OR that holds a regex goes to `where`
// entirely, with all its leaves in eval form. When a hoisted conjunct has a superset that
// `search` can express (its exact search conjuncts; a string match widened by turning `?`,
// a literal `*` or an unsafe character into `*`), that superset is added to the search to
// cut the events read: it is a superset by construction, so the result is unchanged. With
// nothing to search, the base search is `*`. Every child whose operator differs from its
// parent's is parenthesised, in search and in where alike, because the two commands order
// AND and OR differently (B1). AND is always written out.
//
// # Values
//
//   - Strings in `search`: field="value", case-insensitive, whole value, `*` a wildcard,
//     `?` literal, any value of a multivalue field. Escaping is `\` -> `\\` and `"` -> `\"`
//     only, applied to literal segments after the modifiers added their wildcards, so
//     `|contains: '\Desktop\'` is "*\\Desktop\\*" (B8). `search` cannot match a literal `*`
//     (it cannot be escaped), a single-character `?` wildcard (B3: never widened to `*`),
//     a cased value, a backtick (macro delimiter), a control character or the empty
//     string: those go to `where`.
//   - Strings in `where`: isnotnull(mvfind('field', "<PCRE>")): mvfind tests every value of
//     a multivalue field and is null when the field is missing. The pattern is anchored
//     with \A and \z (PCRE's `$` would accept a trailing newline), `*` is (?s:.)*, `?` is
//     (?s:.), case-insensitive patterns start with (?i). `"`, the backtick and control
//     characters are written as \x22, \x60 and \x{..} inside the regex, so no SPL string
//     ever holds them. The regex then goes through SPL quoting, which doubles every
//     backslash (Splunk's manual: four backslashes match one).
//   - Regexes are parsed with regexp/syntax and reprinted as PCRE (pcre.go): `$` becomes
//     \z, multi-line anchors and `.` are spelled out on `\n`, folded literals of the i
//     flag are wrapped in (?i:...) and folded classes list every case, groups become
//     non-capturing. The match is unanchored, as in Go's regexp.MatchString.
//   - Numbers and booleans are bare (EventID=4624, Flag=true); comparisons are field>10 in
//     search and isnotnull(mvfilter(tonumber('field')>10)) in where (mvfilter tests every
//     value of a multivalue field).
//   - Keywords fail with unsupported-keyword: a quoted SPL term matches indexed terms of
//     _raw, not "any field value contains", and _raw carries JSON escapes and key names;
//     no SPL form is exact.
//   - exists is field=* (isnotnull('field') in where); null is NOT field=* (isnull).
//   - cidr (IPv4 and IPv6, canonical network address) is field="prefix" in search, which
//     the search command documents for both families; isnotnull(mvfilter(cidrmatch(...)))
//     in where.
//   - fieldref is eval only: lower('a')==lower('b'), 'a'=='b' when cased; startswith and
//     endswith compare substr() of the reference's length (with an explicit case for an
//     empty reference); contains fails with unsupported-fieldref (eval has no literal
//     substring test: like() would treat % and _ in the other field as wildcards).
//   - Time parts fail with unsupported-timepart (strftime uses the user's time zone, and
//     RFC 3339 parsing in eval is not exact).
//   - Field names: search takes [A-Za-z_][A-Za-z0-9_.]* bare; any other name (dashes as in
//     x-ms-mail-application, spaces, `@`) is written in where as 'name'. Names holding a
//     quote, a backslash, a backtick, `|` or a non-printable character fail with
//     unsupported-field-name. A where-only field makes the base search `*` (a full scan)
//     unless other conjuncts narrow it; Splunk's own extractions replace dashes with
//     underscores, so a pipeline field mapping (c-uri -> c_uri) gives both speed and a
//     search form.
//   - Pipeline state index, sourcetype and source prefix the search as index="v" (a list
//     becomes an OR); `*` in a state value is a wildcard.
//
// # Assumptions about Splunk (not verified against a running Splunk)
//
// Fields are extracted at search time and `search` compares their values, not tokens;
// field=* holds when a field has a value, and a JSON null is not extracted as a value; numbers in search compare as text for `=` and
// numerically for `<`, `>`; Splunk's case-insensitive comparison and PCRE's (?i) fold
// non-ASCII letters as Go's strings.EqualFold does (lower() is used for fieldref, which
// differs for a few characters such as the Kelvin sign); PCRE runs in UTF-8 mode; a
// double-quoted string protects `|`, `[`, `]` and `=`; mvfind and mvfilter treat a single
// value as a one-value multivalue field; fieldref compares single values.
package splunk
