#!/usr/bin/env bash
# Starts a one-node Elasticsearch 8 on 127.0.0.1 for sigmabridge's integration tests and returns
# when the cluster is green. The node runs in-process on the JVM from Maven Central artifacts (see
# pom.xml and README.md beside this script); no other download happens.
#
# Usage: start.sh [URL_FILE]
#   URL_FILE  where to write the node's URL (default: .ci/elasticsearch/run/url)
# Prints the URL (one line) on stdout; progress and timings go to stderr, so
#   ES_URL=$(bash .ci/elasticsearch/start.sh)
# works. Stop the node with stop.sh. Running start.sh while a node is up prints its URL again.
#
# Environment:
#   ES_HEAP            JVM heap (default 1g)
#   ES_START_TIMEOUT   seconds to wait for a green cluster (default 180)
#   ES_HTTP_PORT       HTTP port (default 0: a free port chosen by the OS)
#   ES_LOG_LEVEL       Elasticsearch root log level (default INFO; the log is run/es.log)
#   ES_PLUGINS         plugin classes to load besides HTTP (comma-separated; default: the x-pack
#                      core license service, ES|QL, so POST /_query works, and security; empty:
#                      none)
#   ES_SECURITY        1 (default): load security. Requests without credentials run as an
#                      anonymous superuser; requests with credentials are checked against the
#                      users of run/users (name:password:role, fresh random passwords at every
#                      start): "sigmabridge" (superuser). 0: no security plugin.
#   ES_ANONYMOUS       1 (default): anonymous superuser as above. 0: every request must
#                      authenticate; run/users then also holds "sigmabridge-monitor"
#                      (monitoring_user: no privilege on other indices, so searches get 403).
#   ES_HTTP_CERT, ES_HTTP_KEY
#                      PEM certificate (with IP SAN 127.0.0.1) and key: the node serves HTTPS
#                      and the URL starts with https://
#   ES_TEMPLATES_DIR   index templates (*.json, composable _index_template bodies) to install once
#                      the node is green, each under its file name (default:
#                      testdata/elasticsearch/templates of this repository; empty: none)
#   ES_RUN_DIR         where the pid, URL, users and log files go (default: run/ beside this
#                      script); a second node needs its own, and stop.sh must be given the same
#   MAVEN_REPO_LOCAL   Maven repository cache (default $HOME/.m2/repository)
#   JAVA_HOME          the JDK to use (default: java on PATH); Java 17 or newer
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run="${ES_RUN_DIR:-$here/run}"
target="$here/target"
classpath_file="$target/classpath.txt"
build_stamp="$target/build.stamp"
pid_file="$run/pid"
log_file="$run/es.log"
url_file="${1:-$run/url}"
case "$url_file" in /*) ;; *) url_file="$PWD/$url_file" ;; esac
heap="${ES_HEAP:-1g}"
timeout_s="${ES_START_TIMEOUT:-180}"
http_port="${ES_HTTP_PORT:-0}"
log_level="${ES_LOG_LEVEL:-INFO}"
maven_repo="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
templates_dir="${ES_TEMPLATES_DIR-$(cd "$here/../.." && pwd)/testdata/elasticsearch/templates}"
esql_plugins=org.elasticsearch.xpack.core.XPackPlugin,org.elasticsearch.xpack.esql.core.plugin.EsqlCorePlugin,org.elasticsearch.xpack.esql.plugin.EsqlPlugin
security_plugin=org.elasticsearch.xpack.security.classpath.SecurityWithoutSaml
default_plugins=$esql_plugins
[[ "${ES_SECURITY:-1}" == 1 ]] && default_plugins="$default_plugins,$security_plugin"
plugins="${ES_PLUGINS-$default_plugins}"
users_file="$run/users"
anonymous="${ES_ANONYMOUS:-1}"
http_cert="${ES_HTTP_CERT:-}"
http_key="${ES_HTTP_KEY:-}"
node_flags=()
[[ "$anonymous" == 1 ]] || node_flags+=(--anonymous false)
if [[ -n "$http_cert" || -n "$http_key" ]]; then
  node_flags+=(--http-cert "$http_cert" --http-key "$http_key")
fi

say() { echo "elasticsearch: $*" >&2; }
trap 'say "start.sh failed at line $LINENO (exit $?)"' ERR
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# curl to this node: as the first user of run/users when anonymous access is off, and without
# checking the certificate of a node that start.sh itself brought up on 127.0.0.1 (only this
# script's readiness check and template installs go through it).
node_curl() {
  local opts=(-s)
  [[ -z "$http_cert" ]] || opts+=(-k)
  if [[ "$anonymous" != 1 && -s "$users_file" ]]; then
    local user
    user=$(head -n 1 "$users_file")
    opts+=(-u "${user%:*}")
  fi
  curl "${opts[@]}" "$@"
}

is_alive() { [[ -s "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

cluster_ok() {
  # Green, or yellow (a one-node cluster with a replica the node cannot place).
  local url=$1 health
  health=$(node_curl --max-time 5 "$url/_cluster/health" 2>/dev/null) || return 1
  [[ $health == *'"status":"green"'* || $health == *'"status":"yellow"'* ]]
}

mkdir -p "$run"

# Already running: report it and leave it alone.
if is_alive && [[ -s "$run/url" ]] && cluster_ok "$(cat "$run/url")"; then
  url=$(cat "$run/url")
  if [[ "$url_file" != "$run/url" ]]; then
    mkdir -p "$(dirname "$url_file")"
    echo "$url" >"$url_file"
    echo "$url_file" >"$run/url-file"
  fi
  say "already running at $url (pid $(cat "$pid_file"))"
  echo "$url"
  exit 0
fi
if is_alive; then
  say "a node (pid $(cat "$pid_file")) is running but not healthy; stopping it first"
  bash "$here/stop.sh" >&2
fi

command -v "$java_bin" >/dev/null || { say "no java found (set JAVA_HOME)"; exit 1; }
java_major=$("$java_bin" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ { print $2 }')
if [[ -z "$java_major" || "${java_major%%.*}" -lt 17 ]]; then
  say "Java 17 or newer is needed, found '${java_major:-unknown}' at $java_bin"
  exit 1
fi

# Build once: compile the launcher and record the resolved classpath. Later runs go straight to
# `java -cp` unless pom.xml or the sources changed or a cached jar disappeared.
needs_build=0
if [[ ! -s "$classpath_file" || ! -f "$build_stamp" || ! -d "$target/classes" ]]; then
  needs_build=1
elif [[ -n "$(find "$here/pom.xml" "$here/src" -newer "$build_stamp" -print -quit)" ]]; then
  needs_build=1
else
  # The classpath file has no trailing newline, so read reports EOF: not an error here.
  IFS=: read -r -a jars <"$classpath_file" || true
  for jar in "${jars[@]}"; do
    [[ -f "$jar" ]] || { needs_build=1; break; }
  done
fi
if [[ $needs_build == 1 ]]; then
  command -v mvn >/dev/null || { say "mvn is needed for the first build"; exit 1; }
  build_start=$(now)
  say "building the launcher and resolving artifacts from Maven Central into $maven_repo"
  if ! (cd "$here" && mvn -B -q -Dmaven.repo.local="$maven_repo" \
      compile dependency:build-classpath -Dmdep.outputFile="$classpath_file" >"$run/build.log" 2>&1); then
    say "build failed; last lines of $run/build.log:"
    tail -n 40 "$run/build.log" >&2
    exit 1
  fi
  touch "$build_stamp"
  say "build took $(elapsed "$build_start") s"
fi

# A fresh data directory for every start: tests must not depend on leftovers.
home=$(mktemp -d "${TMPDIR:-/tmp}/sigmabridge-es.XXXXXX")
echo "$home" >"$run/home"
echo "$url_file" >"$run/url-file"
rm -f "$pid_file" "$url_file" "$run/url"

# File-realm users for the tests of credentials, with passwords nobody else knows.
password() { head -c 48 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | cut -c1-24; }
(
  umask 077
  printf 'sigmabridge:%s:superuser\n' "$(password)" >"$users_file"
  [[ "$anonymous" == 1 ]] || printf 'sigmabridge-monitor:%s:monitoring_user\n' "$(password)" >>"$users_file"
)

start=$(now)
# setsid: the node gets its own process group, which stop.sh kills as a whole.
setsid "$java_bin" \
  -Xms"$heap" -Xmx"$heap" \
  -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow \
  -Djava.io.tmpdir="$home" -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
  -Dlog4j2.disable.jmx=true -Dlog4j.shutdownHookEnabled=false \
  -Des.queryable_built_in_roles_enabled=false \
  -cp "$target/classes:$(cat "$classpath_file")" \
  org.sigmabridge.esnode.TestNode \
  --url-file "$run/url" --home "$home" --pid-file "$pid_file" \
  --http-port "$http_port" --log-level "$log_level" --extra-plugins "$plugins" --users-file "$users_file" "${node_flags[@]}" \
  </dev/null >"$log_file" 2>&1 &
launcher=$!

deadline=$(($(date +%s) + timeout_s))
while :; do
  if [[ -s "$run/url" ]] && cluster_ok "$(cat "$run/url")"; then
    break
  fi
  if ! kill -0 "$launcher" 2>/dev/null && ! is_alive; then
    say "the node exited during start-up; last lines of $log_file:"
    tail -n 40 "$log_file" >&2
    rm -rf "$home"
    rm -f "$pid_file" "$run/home" "$run/url-file" "$run/url"
    exit 1
  fi
  if (($(date +%s) >= deadline)); then
    say "not green after ${timeout_s} s; last lines of $log_file:"
    tail -n 40 "$log_file" >&2
    bash "$here/stop.sh" >&2 || true
    exit 1
  fi
  sleep 0.5
done

url=$(cat "$run/url")
if [[ -n "$templates_dir" && -d "$templates_dir" ]]; then
  installed=0
  for template in "$templates_dir"/*.json; do
    [[ -e "$template" ]] || continue
    name=$(basename "$template" .json)
    answer=$(node_curl --max-time 30 -XPUT "$url/_index_template/$name" -H 'Content-Type: application/json' --data-binary @"$template")
    if [[ $answer != *'"acknowledged":true'* ]]; then
      say "index template $name was refused: $answer"
      bash "$here/stop.sh" >&2 || true
      exit 1
    fi
    installed=$((installed + 1))
  done
  say "installed $installed index templates from $templates_dir"
fi
if [[ "$url_file" != "$run/url" ]]; then
  mkdir -p "$(dirname "$url_file")"
  echo "$url" >"$url_file.tmp" && mv "$url_file.tmp" "$url_file"
fi
say "ready at $url (pid $(cat "$pid_file"), data in $home); start-up took $(elapsed "$start") s"
echo "$url"
