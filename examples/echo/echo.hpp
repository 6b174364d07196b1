// The echo service: `--app echo` of the beastio executable (docs/usage.md).
#pragma once

#include "server/server_process.hpp"

namespace beastio::examples {

// The auth object echoed on connect to "/" and "/custom"; message ->
// message-back; message-with-ack acknowledged with its arguments; join /
// leave / to-room for rooms; fail, whose handler throws.
void install_echo(server::server_process& srv);

}  // namespace beastio::examples
