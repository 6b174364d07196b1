#!/bin/sh
# The floors of server/ (docs/architecture.md), checked mechanically: a file
# includes only files of its own floor or of the floors below it, and
# protocol/ includes nothing of server/ and no Boost.
#   core < redis < socketio < engineio < websocket < http < cluster < server_process.{hpp,cpp}
# Usage: layers.sh SOURCE_DIR
set -eu
root=$1
rank() {
  case $1 in
    protocol/*) echo 0 ;;
    server/core/*) echo 1 ;;
    server/redis/*) echo 2 ;;
    server/socketio/*) echo 3 ;;
    server/engineio/*) echo 4 ;;
    server/websocket/*) echo 5 ;;
    server/http/*) echo 6 ;;
    server/cluster/*) echo 7 ;;
    server/*) echo 8 ;;
    examples/*|integers/*|echo/*|chat/*) echo 9 ;;
    *) echo 99 ;;
  esac
}
bad=0
cd "$root"
for f in $(find protocol server examples -name '*.hpp' -o -name '*.cpp' | sort); do
  mine=$(rank "$f")
  for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
    theirs=$(rank "$inc")
    if [ "$theirs" -gt "$mine" ]; then
      echo "$f includes $inc: a floor above its own" >&2
      bad=1
    fi
  done
done
if grep -rnE '#[[:space:]]*include[[:space:]]*[<"]boost/' protocol >&2; then bad=1; fi
[ "$bad" -eq 0 ] && echo "every include goes down or sideways"
exit "$bad"
