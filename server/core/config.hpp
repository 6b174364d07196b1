// Server settings: defaults, command-line flags and the environment variables
// PORT and BEASTIO_AUTH_TOKEN. Parsing is pure (no I/O: the environment is
// passed in) so it is unit-tested directly. One table in config.cpp defines
// every flag: its parser, its range and its --help line.
#pragma once

#include "server/core/log.hpp"
#include "server/core/redis_url.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace beastio::server {

enum class app_kind { integers, echo };

struct config {
    std::string address = "0.0.0.0";
    std::uint16_t port = 3000;
    unsigned threads = 0;  // 0 = one per core
    app_kind app = app_kind::integers;
    std::uint64_t tick_ms = 1000;
    std::uint64_t ping_interval_ms = 25000;
    std::uint64_t ping_timeout_ms = 20000;
    std::uint64_t connect_timeout_ms = 45000;
    std::uint64_t max_payload = 1000000;
    log::level log_level = log::level::info;
    std::string static_dir;   // files served at GET /; empty = the bundled demo page
    std::string client_dist;  // socket.io-client browser bundle; empty = the pinned npm package

    // ---- limits of one connection (docs/reliability.md) ----
    std::size_t send_queue_limit = 256;              // frames waiting to be written
    std::uint64_t send_queue_bytes = 4 * 1024 * 1024;  // bytes waiting to be written
    std::uint64_t max_messages_per_second = 200;     // incoming WebSocket messages; 0 = no limit
    std::uint64_t binary_timeout_ms = 10000;         // a binary packet's attachments must all arrive in time
    std::size_t max_attachments = 10;                // per binary packet (socket.io-parser's maxAttachments)
    std::size_t max_json_depth = 128;                // nesting of a packet's JSON payload
    std::size_t max_pending_acks = 1024;             // server emit_with_ack awaiting the client, per socket
    std::size_t max_rooms_per_socket = 1000;
    std::size_t max_room_name_bytes = 256;
    std::size_t max_plain_message_bytes = 4096;      // what a plain-stream client may send (it is read and dropped)
    std::size_t max_namespaces = 32;                 // namespaces joined by one connection
    std::size_t max_dynamic_namespaces = 1000;       // created by dynamic namespaces, existing at once
    std::size_t max_dynamic_name_bytes = 256;        // longer names never create a dynamic namespace

    // ---- connection state recovery (docs/usage.md): 0 = off ----
    std::uint64_t recovery_window_ms = 0;           // socket.io's maxDisconnectionDuration
    std::size_t recovery_max_packets = 100000;      // packets the log keeps, per namespace
    std::uint64_t recovery_max_bytes = 64ULL << 20;  // bytes the log keeps, per namespace
    std::size_t recovery_max_sessions = 100000;     // sessions of gone clients kept, per namespace

    // ---- several nodes on Redis (docs/scaling.md): off without --redis ----
    std::optional<redis::url> redis;
    std::string redis_adapter = "streams";       // streams (@socket.io/redis-streams-adapter) or pubsub (@socket.io/redis-adapter)
    std::string redis_key = "socket.io";         // channel prefix (and the stream's name), as the Node adapters' key
    std::uint64_t redis_stream_maxlen = 10000;   // streams: entries the stream keeps (MAXLEN ~), so the replay's reach
    std::uint64_t redis_timeout_ms = 5000;       // connect, and a reply: slower means the connection is dead
    std::uint64_t redis_reconnect_max_ms = 5000;  // reconnection backoff cap
    std::string redis_ca_file;                   // rediss://: the CA to trust instead of the system's
    std::uint64_t cluster_lease_ms = 3000;       // the producer's lease: a dead leader is replaced within it

    // ---- limits of the server ----
    std::size_t max_connections = 0;         // WebSocket connections; 0 = from the open-file limit
    std::uint64_t handshake_timeout_ms = 10000;  // an HTTP request or upgrade must be complete in time
    std::uint64_t close_timeout_ms = 3000;   // a close handshake the peer does not finish is cut
    std::size_t max_header_bytes = 16 * 1024;  // request line plus headers; 431 above
    std::size_t max_body_bytes = 64 * 1024;    // beastio serves no bodies: enough to answer a polling POST; 413 above

    // ---- security ----
    std::vector<std::string> allowed_origins;  // empty = any; else exact match of Origin (browsers)
    std::string auth_token;                    // empty = no authentication
    std::string tls_cert;                      // PEM files; both set = TLS on the one port
    std::string tls_key;

    bool tls() const { return !tls_cert.empty(); }
};

// What parse_args decided: run with a config, print help/version and exit 0,
// or refuse with a one-line reason (exit non-zero).
struct parse_outcome {
    enum class action { run, help, version, error };
    action what = action::run;
    config cfg;
    std::string message;  // the reason, for action::error
};

// The environment variables beastio reads (passed in, so parsing stays pure).
struct environment {
    std::optional<std::string> port;        // $PORT: replaces the default port; --port still wins
    std::optional<std::string> auth_token;  // $BEASTIO_AUTH_TOKEN: keeps the token out of `ps`; --auth-token wins
};

// args excludes argv[0].
parse_outcome parse_args(const std::vector<std::string>& args, const environment& env, unsigned hardware_threads);
// The same with only $PORT.
parse_outcome parse_args(const std::vector<std::string>& args, std::optional<std::string> port_env,
                         unsigned hardware_threads);

std::string help_text();

}  // namespace beastio::server
