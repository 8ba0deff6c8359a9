// Package esql is the `esql` target: Sigma rules as ES|QL queries,
// `FROM <index> METADATA _id, _index, _version | WHERE <condition>`.
//
// ES|QL's ==, LIKE and RLIKE compare case-sensitively, so a case-insensitive value is
// matched against TO_LOWER(field) where lower-casing agrees with Unicode case folding for
// every letter of the value, and with an RLIKE spelling each letter's case orbit otherwise.
// A case-insensitive fieldref compares fold keys (esmatch.FoldKey: REPLACE and TO_LOWER
// giving one rune per fold orbit) with ==, STARTS_WITH, ENDS_WITH or LOCATE; TO_LOWER is
// Java's, so this is exact where the JVM's Unicode version matches Go's tables (Java 17
// leaves the 40 capitals Unicode 14 added unlowered).
// Negations are made two-valued with COALESCE, because ES|QL's NOT of a missing field is
// null, not true.
//
// Pipeline state ip_fields lists the fields mapped as ip: a cidr on them is CIDR_MATCH,
// elsewhere an RLIKE of the addresses' spellings. Text
// comparisons on an ip field (equality, wildcards, regex) fail the rule.
package esql
