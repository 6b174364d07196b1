// The loop every I/O thread runs.
#pragma once

#include "server/core/net.hpp"

namespace beastio::server {

// Runs ioc until it is stopped. An exception that escapes a handler is logged
// and the loop goes on: only a signal or the shutdown sequence ends the process.
void run_loop(net::io_context& ioc);

}  // namespace beastio::server
