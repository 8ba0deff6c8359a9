// Package serve is `sigmabridge serve`: a local rule playground. It serves one page, with
// its assets embedded in the binary (nothing is fetched from elsewhere), and the JSON API
// under /api/ the page uses. The page is one more thin client of the application layer
// (package sigmabridge): it converts a pasted rule to every target side by side, lints it
// with findings at their line and column, matches pasted events with the evaluator and
// tells which selections matched in each event, browses the built-in pack with its
// samples, and, when a node is configured, runs the Elasticsearch forms on the events.
//
// # API
//
// Every endpoint answers JSON; POST bodies are JSON objects and are limited to
// Config.MaxBodyBytes (413 past it). No request names a file: rules, pipelines and events
// travel in the body, built-in pipelines and pack rules are named, never paths.
//
//	GET  /api/pipelines   the built-in pipelines and the targets each is for
//	GET  /api/info        targets, input formats, the profile, whether a node is set, limits
//	POST /api/convert     {rule, pipelines, pipeline_yaml, profile} -> every target's queries
//	                      and diagnostics, the pinned external backend plugins' targets included
//	POST /api/lint        {rule} -> findings with line and column
//	POST /api/match       {rule, pipelines, pipeline_yaml, profile, events, format} -> per event: matched
//	                      rules, the selections that matched, the fields they read and their values
//	GET  /api/pack        the built-in pack: every rule with its sample counts and coverage
//	GET  /api/pack/rule?path=rules/aws/x.yml  one pack rule: its YAML and its samples
//	POST /api/es          (with --es) the Lucene, DSL and ES|QL forms run on the events in a
//	                      throwaway index, their hit sets next to the evaluator's
//
// # Pipelines
//
// A built-in pipeline applies to the targets its allowed_backends names. A pasted pipeline
// applies to the targets its allowed_backends names, or, without that list, to every target
// and to the evaluator. The organisation profile given at start-up applies to everything,
// or, when a request asks for "pack", the profile the built-in pack's samples assume.
//
// # Which selections matched
//
// The evaluator is not changed for explanations: each search of the rule is lowered on its
// own (translator.LowerSearch), made the only condition of a copy of the rule, and run
// through the same profile and pipelines as the rule. A selection "matched" an event when
// that copy matches it. The fields shown are the fields the selection's leaves read after
// the pipelines, with the event's values at them.
//
// # Limits
//
// Bodies are read through http.MaxBytesReader; a request runs under a deadline
// (Config.RequestTimeout) and waits for one of a fixed number of work slots, so many
// parallel requests queue instead of multiplying memory; events per request are capped
// (Config.MaxEvents). The server itself has read, write and idle timeouts.
package serve
