// Package convert implements `sigmabridge convert`: rules in, one query per rule condition
// out, for one target, with every diagnostic on stderr.
//
// The target is a built-in backend or, when no built-in has its name, a target a pinned
// external backend plugin serves (sigmabridge.FindTarget): the rules are then converted
// through that plugin. "-" reads one rule from stdin (cli.RuleFiles).
//
// --mapping FILE (the Elasticsearch targets only) reads a GET index/_mapping answer with
// esmapping.ReadFile and sets it on the setup (profile.Setup.Mapping), so every processed
// rule carries it in its Deployment and each leaf is written for its field's real type; a
// file that cannot be read or is not such an answer is a usage error naming the file.
// --fields FILE (the splunk target only) does the same with the output of Splunk's
// `| fieldsummary` (splfields.ReadFile): each leaf is named as Splunk extracts the field
// (a{}.b for an array path) and numbers are compared numerically on numeric fields.
//
// The exit code is 0 when every rule converted, 1 when some failed (all others are still
// converted and written), 2 for a usage error.
//
// -o FILE is written through a temporary file renamed over it (internal/atomicfile): a new
// file gets 0666 less the umask, an existing one keeps its mode. FILE must be a regular file
// (a symbolic link to one is replaced, not followed) or not exist yet, and must not be one
// of the run's rule or pipeline files (compared with os.SameFile); otherwise nothing is
// converted and the exit code is 2.
//
// The default format is one query per line. Each target escapes what its syntax can (SPL
// writes control characters as PCRE escapes, ES|QL and EQL strings take \n and \r, dsl is
// JSON); a text query that still holds a raw control character or a Unicode line
// separator fails its rule with unsupported-control-character, naming the character, and
// -f jsonl, whose JSON escapes carry anything, still converts it. JSON output (dsl
// queries, jsonl, and the json formats of lint, test and check) writes DEL, C1 controls
// and format characters as \u escapes too (cli.JSONWriter).
package convert
