package all

import (
	_ "github.com/sigmabridge/sigmabridge/backends/elasticsearch/dsl"    // target dsl
	_ "github.com/sigmabridge/sigmabridge/backends/elasticsearch/eql"    // target eql
	_ "github.com/sigmabridge/sigmabridge/backends/elasticsearch/esql"   // target esql
	_ "github.com/sigmabridge/sigmabridge/backends/elasticsearch/lucene" // target lucene
	_ "github.com/sigmabridge/sigmabridge/backends/splunk"               // target splunk
)
