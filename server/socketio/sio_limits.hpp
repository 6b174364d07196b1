#pragma once

#include "server/socketio/sio_recovery_log.hpp"

#include <cstddef>

namespace beastio::server {

// Limits of the Socket.IO layer; every one has a flag (docs/reliability.md).
struct sio_limits {
    std::size_t max_pending_acks = 1024;      // emit_with_ack awaiting the client, per socket
    std::size_t max_rooms_per_socket = 1000;  // join() beyond it is refused
    std::size_t max_namespaces = 32;          // per connection; CONNECT_ERROR beyond it
    std::size_t max_room_name_bytes = 256;    // join() of a longer name is refused
    std::size_t max_dynamic_namespaces = 1000;  // created by sio_server::of(pattern), at once
    std::size_t max_dynamic_name_bytes = 256;   // longer names never create a namespace
    recovery_options recovery{};                // connection state recovery; off by default
};

}  // namespace beastio::server
