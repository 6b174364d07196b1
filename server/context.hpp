// What every session shares: settings, the Socket.IO namespaces, the plain
// stream and the registry of open connections.
#pragma once

#include "server/config.hpp"
#include "server/hub.hpp"
#include "server/io.hpp"

#include <atomic>
#include <string>

namespace beastio::server {

struct context {
    config cfg;
    io_server io;
    plain_hub plain;
    connection_set open_connections;
    std::atomic<bool> shutting_down{false};
    std::string static_dir;   // resolved, absolute
    std::string client_dist;  // resolved, absolute
};

}  // namespace beastio::server
