// Package diag holds diagnostics: what went wrong or is unsupported, with a stable code,
// a message and the file and line it concerns.
//
// Every stage reports all of its diagnostics at once; nothing stops at the first one.
// Diagnostics print as `path:line: code: message`.
package diag
