// Package esmapping reads an Elasticsearch index mapping (the answer of GET index/_mapping,
// one index or many) into the ir.IndexMapping a rule's Deployment carries, and says for each
// leaf of a rule how the Elasticsearch targets (lucene, dsl, esql, eql) must read it on the
// field's real type, or why the mapping cannot answer it exactly.
//
// It builds on what the pipelines already tell the targets through the Deployment (ip and
// flattened fields, read by esmatch.ReadMapping): a mapping's ip and flattened fields join
// those lists, and the renderers keep their forms for them. What the pipelines could not say
// is decided here, leaf by leaf (Resolve):
//
//   - keyword, constant_keyword and wildcard fields are what the targets assume without a
//     mapping: the leaf is rendered as before. A keyword field with a normalizer (on the
//     field or on a text field's multi-field) rewrites values and query terms alike, so only
//     presence is exact there; other leaves fail with mapping-field-type.
//   - a text field with a keyword multi-field (Elasticsearch's default dynamic mapping: text
//     with .keyword) is compared on the multi-field for exact, wildcard, regular-expression,
//     case-insensitive, CIDR and number work, and tested for presence on the text field
//     itself, which indexes every value. A text field without one fails the leaf
//     (mapping-text-field): its analysed tokens answer no Sigma comparison.
//   - ignore_above leaves values longer than its limit out of a keyword field: a leaf that
//     such a value could satisfy (a wildcard, a regular expression, a CIDR block, an exact
//     value longer than the limit, presence on the keyword field) fails with
//     mapping-ignore-above; an exact value within the limit is answered exactly, and so is
//     its negation (a long value differs from it in Sigma and has no indexed value).
//   - numeric fields take numbers and numeric comparisons (a number with a fraction on an
//     integer field, which Elasticsearch refuses, fails); booleans take booleans; date
//     fields take time parts; other leaves on them fail with mapping-field-type, as does a
//     numeric comparison on a field that compares as text. Not visible in a mapping, and
//     not caught: an integer field coerces a fraction at indexing (5.5 is indexed as 5).
//   - indices that map a field differently fail its leaves with mapping-type-conflict,
//     naming each index's type; a field some index keeps unindexed (index: false, below
//     enabled: false or dynamic: false, inside nested) with mapping-unindexed-field; a field
//     no index maps when every index is dynamic: strict with mapping-unmapped-field. A field
//     absent from a dynamic mapping is in no document yet, and the usual form is exact,
//     except in ES|QL, which refuses a query naming an unknown column: there it fails with
//     mapping-unmapped-field (esrender.Target.UnknownFieldRefused).
//
// hunt knows the data as well as the mapping: LiftIgnoreAbove drops the limit of the
// keyword fields for which no document holds an ignored value (Elasticsearch's _ignored).
//   - a keyword search (no field) runs over the index's default fields: it fails with
//     mapping-text-field when the mapping holds analysed text.
//
// Every such code is in the diagnostic table's Target class, so --skip-unsupported counts
// it as a rule the target cannot express.
package esmapping
