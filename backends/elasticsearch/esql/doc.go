// Package esql is the `esql` target: Sigma rules as ES|QL queries,
// `FROM <index> METADATA _id, _index, _version | WHERE <condition>`.
//
// ES|QL's ==, LIKE and RLIKE compare case-sensitively, so a case-insensitive value is
// matched against TO_LOWER(field) where lower-casing agrees with Unicode case folding for
// every letter of the value, and with an RLIKE spelling each letter's case orbit otherwise.
// Negations are made two-valued with COALESCE, because ES|QL's NOT of a missing field is
// null, not true.
package esql
