// Package backends defines what a query backend is and keeps the registry of the built-in
// ones (Names lists them; package backends/all registers every one).
//
// A backend turns an ir.Rule into one query per condition. What its target language cannot
// express exactly it reports as a diagnostic with a named code; it never widens or narrows
// a rule silently.
package backends
