#!/usr/bin/env bash
# Stops the node that start.sh started: SIGTERM to its process group (the JVM closes the node
# cleanly), SIGKILL after ES_STOP_TIMEOUT seconds (default 30), then removes its data directory,
# pid file and URL files. Safe to run when nothing is running. ES_RUN_DIR: as given to start.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run="${ES_RUN_DIR:-$here/run}"
pid_file="$run/pid"
timeout_s="${ES_STOP_TIMEOUT:-30}"

say() { echo "elasticsearch: $*" >&2; }

cleanup_files() {
  if [[ -s "$run/home" ]]; then
    home=$(cat "$run/home")
    # Only ever delete a directory that start.sh created.
    case "$(basename "$home")" in sigmabridge-es.*) rm -rf "$home" ;; esac
  fi
  if [[ -s "$run/url-file" ]]; then
    rm -f "$(cat "$run/url-file")"
  fi
  rm -f "$pid_file" "$run/url" "$run/url-file" "$run/home" "$run/users"
}

if [[ ! -s "$pid_file" ]]; then
  say "not running (no pid file)"
  cleanup_files
  exit 0
fi
pid=$(cat "$pid_file")
if ! kill -0 "$pid" 2>/dev/null; then
  say "not running (pid $pid is gone)"
  cleanup_files
  exit 0
fi

# start.sh runs the JVM under setsid, so it leads its own process group. Signal the group only
# when that is so; otherwise signal the process alone (never our own group).
pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
if [[ "$pgid" == "$pid" ]]; then target="-$pid"; else target="$pid"; fi

kill -TERM -- "$target" 2>/dev/null || true
deadline=$(($(date +%s) + timeout_s))
while kill -0 "$pid" 2>/dev/null; do
  if (($(date +%s) >= deadline)); then
    say "pid $pid still alive after ${timeout_s} s; sending SIGKILL"
    kill -KILL -- "$target" 2>/dev/null || true
    sleep 1
    break
  fi
  sleep 0.2
done
# Nothing of the group may outlive the node.
if [[ "$target" == -* ]] && pgrep -g "$pid" >/dev/null 2>&1; then
  kill -KILL -- "$target" 2>/dev/null || true
fi
cleanup_files
say "stopped (pid $pid)"
