package all

import (
	_ "github.com/sigmabridge/sigmabridge/backends/elasticsearch/lucene" // target lucene
	_ "github.com/sigmabridge/sigmabridge/backends/splunk"               // target splunk
)
