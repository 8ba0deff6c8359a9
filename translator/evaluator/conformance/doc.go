// Package conformance reads sigmabridge's engine-neutral conformance cases
// (testdata/cases/<topic>/<case>.yml: a Sigma rule, JSON events and the events it must
// match). Every engine that claims Sigma semantics (the in-process evaluator, the detector
// plugin, a rendered query on a real Elasticsearch) runs the same cases through Load.
package conformance
