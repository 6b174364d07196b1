#!/bin/sh
# beastio as an outside project sees it: install this build tree into a fresh
# prefix, build examples/ on its own against the installed package
# (find_package(beastio), beastio::server), check that no header came from the
# source tree, and run the beastio it built: --version, then a server that
# answers its health check and exits 0 on SIGTERM.
# Usage: run.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -eu
build=$1
source=$(cd "$2" && pwd)
work=$3
rm -rf "$work"
mkdir -p "$work"
fail() { echo "package test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" > "$work/install.log" || fail "install failed: $(cat "$work/install.log")"
for f in lib/libbeastio_server.a lib/libbeastio_protocol.a lib/cmake/beastio/beastioConfig.cmake \
         lib/cmake/beastio/beastioConfigVersion.cmake include/beastio/server/server_process.hpp \
         include/beastio/protocol/json.hpp; do
  [ -f "$work/prefix/$f" ] || fail "not installed: $f"
done

cmake -S "$source/examples" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log" 2>&1 || fail "configure failed: $(cat "$work/configure.log")"
cmake --build "$work/build" > "$work/build.log" 2>&1 || fail "build failed: $(tail -40 "$work/build.log")"

# Every beastio header the consumer compiled came from the prefix.
ninja -C "$work/build" -t deps > "$work/deps.txt"
if grep -E "^ +$source/(server|protocol)/" "$work/deps.txt" >&2; then fail "headers above came from the source tree"; fi
grep -q "$work/prefix/include/beastio/server/server_process.hpp" "$work/deps.txt" || fail "the installed headers were not used"

version=$("$work/build/beastio" --version)
[ "$version" = "beastio 0.1.0" ] || fail "unexpected --version: $version"
version=$("$work/build/beastio-chat" --version)
[ "$version" = "beastio-chat 0.1.0" ] || fail "unexpected beastio-chat --version: $version"

"$work/build/beastio" --address 127.0.0.1 --port 0 --app echo 2> "$work/server.log" &
pid=$!
port=""
i=0
while [ -z "$port" ] && [ $i -lt 200 ]; do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' "$work/server.log")
  kill -0 "$pid" 2>/dev/null || fail "the server exited: $(cat "$work/server.log")"
  [ -n "$port" ] || sleep 0.05
  i=$((i + 1))
done
[ -n "$port" ] || { kill -KILL "$pid"; fail "no listening line within 10 s: $(cat "$work/server.log")"; }
body=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/cache-healthcheck") || { kill -KILL "$pid"; fail "health check failed"; }
[ "$body" = "ok" ] || { kill -KILL "$pid"; fail "health check answered '$body'"; }
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM: $(cat "$work/server.log")"
echo "package test: installed, built examples/ against the package, served a health check, stopped cleanly"
