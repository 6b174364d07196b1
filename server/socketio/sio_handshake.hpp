// What a connection's upgrade request said, as socket.io's socket.handshake:
// kept once per connection and shared by its sockets (each namespace adds
// its own auth, sio_socket::auth()).
#pragma once

#include "protocol/engineio/handshake.hpp"
#include "protocol/json.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace beastio::server {

struct sio_handshake {
    // Header fields in request order, names lower-case, values as sent.
    std::vector<std::pair<std::string, std::string>> headers;
    // The decoded query string (EIO and transport included, as in socket.io).
    eio::query query;
    std::string url;      // the request target, e.g. "/socket.io/?EIO=4&transport=websocket"
    std::string address;  // the peer's IP address (the TCP peer; see headers for X-Forwarded-For)
    bool secure = false;  // wss:// (TLS on beastio's port)
    std::int64_t issued_ms = 0;  // when the connection was accepted, milliseconds since the Unix epoch

    // The first header with this name (any case), nullopt when absent.
    std::optional<std::string_view> header(std::string_view name) const;
    // The query parameter when it occurs exactly once.
    std::optional<std::string_view> query_value(std::string_view key) const { return query.single(key); }
    // issued_ms as an HTTP date ("Tue, 01 Dec 2026 15:47:08 GMT"), socket.io's handshake.time.
    std::string time() const;
    // As socket.io's socket.handshake object: {headers, query, url, address,
    // secure, issued, time, auth} (what fetchSockets() gives on another node).
    json::value to_json(const json::value& auth) const;
};

using handshake_ptr = std::shared_ptr<const sio_handshake>;

}  // namespace beastio::server
