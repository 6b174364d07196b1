// The integers service ("integers as a service"): the beastio executable's
// default application (docs/usage.md).
#pragma once

#include "server/server_process.hpp"

namespace beastio::examples {

// One shared producer, ticking every --tick-ms only while someone listens:
// integer N goes out as 42["integer",N] on "/" and as the text frame "N" on
// the plain stream (/_ws/...), encoded once per tick for all recipients. No
// integer is spent while nobody listens, and none is skipped. With
// --recovery-window-ms, Socket.IO clients resume their sessions and plain
// clients reconnect with ?after=<last integer>: either way nothing is lost.
void install_integers(server::server_process& srv);

}  // namespace beastio::examples
