#!/bin/sh
# Runs one libFuzzer target for a bounded time from its committed seed corpus.
#   run-fuzzer.sh <fuzzer binary> <seconds> <seed dir> <artifact dir>
# New inputs go to a temporary corpus (the committed seeds are never written);
# a crash, leak, timeout or memory blow-up is saved under <artifact dir> and
# fails the run. docs/reliability.md has the command for long runs.
set -eu
bin=$1 seconds=$2 seeds=$3 artifacts=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
name=$(basename "$bin")
dict=$(dirname "$0")/$name.dict
set --
[ -f "$dict" ] && set -- -dict="$dict"
exec "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=256 -max_len=16384 \
  -print_final_stats=1 -artifact_prefix="$artifacts/$name-" "$@" "$work" "$seeds"
