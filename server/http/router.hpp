// Which handler serves a request: a pure function of the request line and its
// upgrade headers, with the path rules in one place. No Beast, no sockets.
#pragma once

#include "protocol/engineio/handshake.hpp"

#include <string>
#include <string_view>

namespace beastio::server {

// The prefixes under which WebSocket upgrades are accepted (with their slash).
inline constexpr std::string_view plain_prefix = "/_ws/";
inline constexpr std::string_view engine_prefix = "/socket.io/";

struct request_info {
    std::string_view method;   // "GET", "HEAD", ...
    std::string_view target;   // origin-form: path[?query]
    bool upgrade_requested = false;        // an Upgrade: websocket header is present
    bool valid_websocket_upgrade = false;  // GET, Connection: upgrade, Upgrade: websocket, key, version 13
                                           // (implies upgrade_requested)
};

enum class route_kind {
    healthcheck,    // 200 ok
    status,         // 200 with the node's status as JSON (connections, Redis, the producer)
    plain_stream,   // WebSocket: the plain integer stream
    engineio,       // WebSocket: Engine.IO v4 / Socket.IO v5 session
    client_bundle,  // the socket.io-client browser bundle (file = its name)
    static_file,    // a file of the static directory (file = decoded relative path)
    refuse,         // an HTTP error response (status, content_type, body)
};

struct route {
    route_kind kind = route_kind::refuse;
    unsigned status = 200;
    std::string content_type;
    std::string body;
    std::string reason;   // a short reason for the log line of a refusal
    std::string file;     // client_bundle / static_file
    eio::handshake handshake;  // engineio
    bool allow_get_head = false;  // a 405 that should carry "Allow: GET, HEAD"
};

route decide(const request_info& r);

// Splits "path?query" (a '#fragment' is dropped).
std::pair<std::string_view, std::string_view> split_target(std::string_view target);

}  // namespace beastio::server
