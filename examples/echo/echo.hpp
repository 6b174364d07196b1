// The echo service: `--app echo` of the beastio executable (docs/usage.md).
#pragma once

#include "server/server.hpp"

namespace beastio::examples {

// The auth object echoed on connect to "/" and "/custom"; message ->
// message-back; message-with-ack acknowledged with its arguments; join /
// leave / to-room for rooms; fail, whose handler throws.
void install_echo(server::server& srv);

}  // namespace beastio::examples
