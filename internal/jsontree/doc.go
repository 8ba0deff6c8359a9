// Package jsontree walks values as encoding/json and YAML decode them: maps of string to
// any, slices of any, and scalars.
package jsontree
