// Package splunk renders rules as classic Splunk SPL (target "splunk") that means exactly
// what the IR means, and fails a rule with a named diagnostic where SPL cannot.
//
// # Query shape
//
// A query is `<state prefix> AND <search terms> [| where <eval expression>]`, one line; a
// condition with keywords has `| eval ... | foreach * [...]` before the `| where` (see
// Keywords below), which only fills an internal field and filters nothing.
// The condition is simplified (no double negation, Not(Null) is Exists) and split at its
// top-level AND. A conjunct that `search` expresses exactly (see searchLeaf) stays in the
// search. Every other conjunct is rendered whole, never split, as one eval expression in a
// single trailing `| where`. A pipe is an AND and every hoisted conjunct is a child of the
// top-level AND, so this is exact (docs/peers.md B2); an OR that holds a regex goes to `where`
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
//   - Keywords (a value with no field: some string anywhere in the event contains it) are
//     tested in the `where` like any other leaf, on one multivalue field that a stage
//     before the `where` fills with every value of the event (keyword.go):
//     `| eval _sb_kw_values="0" | foreach * [eval _sb_kw_values=if(isnull('<<FIELD>>') OR
//     match("<<FIELD>>", "<default fields>"), _sb_kw_values, mvappend(_sb_kw_values,
//     '<<FIELD>>'))] | where ... isnotnull(mvfind('_sb_kw_values', "(?i)mimikatz")) ...`.
//     The keyword is an unanchored PCRE (`*` and `?` as for matches), in the `where`,
//     outside the foreach template, so a keyword such as <<FIELD>> is never substituted.
//     An OR holding a keyword is still one `where` expression, never split across pipes
//     (B2). SPL's own keyword
//     search is not used: it matches indexed terms of _raw, and _raw holds key names and
//     JSON escapes. The pieces:
//   - `foreach *` iterates every field whose name does not start with `_`: the JSON
//     extraction's names with dots and braces (a.b, a{}, a{}.b) included, the internal
//     fields (_raw, _time, _cd, _bkt, ...) and _sb_kw_values itself excluded. The name
//     test drops Splunk's default fields (host, index, linecount, punct, source,
//     sourcetype, splunk_server, splunk_server_group, timestamp, timestartpos,
//     timeendpos, date_*) and the knowledge-object fields eventtype, tag and tag::*,
//     whose values (sourcetype names, weekday names, punctuation) are not the event's.
//     Consequence, stated in a keyword-scope warning on every condition with keywords: a
//     top-level JSON key that starts with `_` or is named like a default field is not
//     searched, and values added by calculated fields or lookups are.
//   - Splunk extracts a JSON number or boolean as its text, like a string, and the
//     evaluator searches strings only ({"n": 42} does not contain the keyword 42,
//     {"n": "42"} does). A keyword whose `*keyword*` glob can match the text of a JSON
//     number literal, true, false or null fails with unsupported-keyword (the check is
//     exact: a breadth-first search of the product of the glob with an automaton of those
//     texts, and the message shows the shortest text matched). Every other keyword cannot
//     tell the two apart, so it is exact; this also makes the seed "0" of _sb_kw_values
//     (which keeps mvappend from ever seeing a null) unmatchable.
//   - Prefilter: a keyword's characters appear in _raw when the JSON encoder writes them
//     verbatim, so `*abc*` (a bare search term: some segment of _raw contains abc) is a
//     superset for each run of ASCII letters and digits of the keyword, excluding for a
//     case-insensitive keyword k and s (whose fold orbits hold the Kelvin sign and the
//     long s, which _raw would hold instead), dropping up to four leading hex digits
//     (Splunk's URL-encoded major breakers such as %2B and %2526 swallow the digits after
//     `%`), and keeping runs of at least three characters. The terms are ANDed; a
//     keyword without one has no prefilter, and an OR has one only when all its children
//     do. Punctuation and non-ASCII are never used: encoders escape `/`, `<`, `>`, `&`
//     and non-ASCII in various ways, and punctuation splits segments.
//   - exists is field=* (isnotnull('field') in where); null is NOT field=* (isnull).
//   - cidr (IPv4 and IPv6, canonical network address) is field="prefix" in search, which
//     the search command documents for both families; isnotnull(mvfilter(cidrmatch(...)))
//     in where.
//   - fieldref is eval only: lower('a')==lower('b'), 'a'=='b' when cased; startswith and
//     endswith compare substr() of the reference's length (with an explicit case for an
//     empty reference); contains fails with unsupported-fieldref (eval has no literal
//     substring test: like() would treat % and _ in the other field as wildcards). eval
//     compares a multivalue field as one value, so a fieldref reading a field that may
//     hold several values (pipeline state multivalued_fields, or a name with {} from a
//     fields description) fails with unsupported-multivalued, as on the Elasticsearch
//     targets.
//   - Time parts fail with unsupported-timepart (strftime uses the user's time zone, and
//     RFC 3339 parsing in eval is not exact).
//   - Field names: search takes [A-Za-z_][A-Za-z0-9_.]* bare, except, in any case, the
//     names search reads as something else before `=`: the time modifiers (earliest,
//     latest, _index_earliest, _index_latest, now, starttime, daysago and the other
//     deprecated ones), the operators AND, OR, NOT, XOR, IN, TERM and CASE, savedsearch
//     and savedsplunk; those and any other name (dashes as in x-ms-mail-application,
//     spaces, `=`, `@`) are written in where as 'name'. Names holding a
//     quote, a backslash, a backtick, `|` or a non-printable character fail with
//     unsupported-field-name. A where-only field makes the base search `*` (a full scan)
//     unless other conjuncts narrow it; Splunk's own extractions replace dashes with
//     underscores, so a pipeline field mapping (c-uri -> c_uri) gives both speed and a
//     search form.
//   - Pipeline state index, sourcetype and source prefix the search as index="v" (a list
//     becomes an OR); `*` in a state value is a wildcard.
//
// # Extracted fields (convert --fields)
//
// When the rule's Deployment carries a description of Splunk's extracted fields
// (backends/splunk/splfields, read from `| fieldsummary`), every leaf is first renamed to
// the field Splunk extracts (a.b becomes a{}.b for an array path) or fails with a fields-*
// code; a name holding `{}` is written in where, as 'a{}.b'. A number value on a field the
// description says is numeric is compared in where as isnotnull(mvfilter(tonumber('f')==10)),
// never in search, whose text comparison would miss 10.0. A correlation's group-by and value
// fields must be extracted under their own names.
//
// # Assumptions about Splunk (not verified against a running Splunk)
//
// Fields are extracted at search time and `search` compares their values, not tokens;
// field=* holds when a field has a value, and a JSON null is not extracted as a value; numbers in search compare as text for `=` and
// numerically for `<`, `>`; Splunk's case-insensitive comparison and PCRE's (?i) fold
// non-ASCII letters as Go's strings.EqualFold does (lower() is used for fieldref, which
// differs for a few characters such as the Kelvin sign); PCRE runs in UTF-8 mode; a
// double-quoted string protects `|`, `[`, `]` and `=`; mvfind and mvfilter treat a single
// value as a one-value multivalue field; fieldref compares single values. For keywords:
// `foreach *` sees every field the event's extraction produced (JSON extracted value by
// value, strings unescaped, arrays as multivalue fields, nothing cut off by extraction
// limits), its `*` matches names with dots and braces but none that starts with `_` (common
// SPL such as `timechart ... | foreach * [eval <<FIELD>>=round(...)]` relies on _time
// being skipped), and it substitutes <<FIELD>> textually (a JSON key holding `'` or `"`
// makes the search fail with a syntax error rather than miss silently); eval evaluates
// mvappend, match and isnull as documented; bare search terms are matched against segments
// of _raw split by the default segmenters.conf breakers, case-insensitively for ASCII;
// JSON encoders write ASCII letters and digits verbatim.
package splunk
