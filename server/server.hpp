// Wires the server together and runs it until SIGTERM/SIGINT.
#pragma once

#include "server/config.hpp"

namespace beastio::server {

// Returns the process exit code. Throws only for startup failures (bind).
int run(const config& cfg);

}  // namespace beastio::server
