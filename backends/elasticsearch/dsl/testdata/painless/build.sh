#!/usr/bin/env bash
# Builds PainlessCheck (the Painless compiler in a plain JVM, for painless_test.go) with Maven
# from Maven Central and prints the java classpath to export as SIGMABRIDGE_PAINLESS_CP:
#   export SIGMABRIDGE_PAINLESS_CP=$(bash backends/elasticsearch/dsl/testdata/painless/build.sh)
set -euo pipefail
cd "$(dirname "$0")"
if [[ ! -f target/classpath.txt || ! -f target/classes/sigmabridge/PainlessCheck.class || pom.xml -nt target/classpath.txt || src/main/java/sigmabridge/PainlessCheck.java -nt target/classes/sigmabridge/PainlessCheck.class ]]; then
  mvn -q compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >&2
fi
echo "$PWD/target/classes:$(cat target/classpath.txt)"
