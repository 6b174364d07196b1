#include "server/core/config.hpp"

#include <charconv>
#include <fmt/format.h>
#include <functional>
#include <limits>
#include <string_view>

// Why our own parser and not CLI11 (Debian's 2.1) or Boost.Program_options:
// both convert integers with strtoull-style base detection ("010" is 8,
// "0x10" is 16) or accept a sign, and their messages do not name the accepted
// range. beastio's flags are all "--name VALUE" with a decimal range, an
// enumeration or a string, so one table below gives the parser, the range
// check and the --help text, and every message says what was expected.

namespace beastio::server {
namespace {

template <class T>
bool parse_uint(std::string_view s, T& out, T min, T max) {
    if (s.empty() || s.front() == '+' || s.front() == '-') return false;
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return false;
    if (v < static_cast<std::uint64_t>(min) || v > static_cast<std::uint64_t>(max)) return false;
    out = static_cast<T>(v);
    return true;
}

constexpr std::uint64_t max_ms = 24ULL * 3600 * 1000;  // one day

// A setter returns the error message, or an empty string when the value was taken.
using setter = std::function<std::string(config&, std::string_view flag, std::string_view value)>;

struct flag_spec {
    std::string_view name;
    std::string_view metavar;  // empty: the flag takes no value
    std::string_view help;
    setter set;
};

template <class T>
setter uint_flag(T config::*field, std::uint64_t min, std::uint64_t max, std::string_view what) {
    return [=](config& c, std::string_view flag, std::string_view v) -> std::string {
        if (!parse_uint<T>(v, c.*field, static_cast<T>(min), static_cast<T>(max)))
            return fmt::format("invalid value '{}' for {}: expected {} from {} to {}", v, flag, what, min, max);
        return {};
    };
}

setter string_flag(std::string config::*field) {
    return [=](config& c, std::string_view flag, std::string_view v) -> std::string {
        if (v.empty()) return fmt::format("{} needs a value", flag);
        c.*field = std::string(v);
        return {};
    };
}

std::vector<std::string> split_list(std::string_view v) {
    std::vector<std::string> out;
    while (!v.empty()) {
        const auto comma = v.find(',');
        auto item = v.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
    }
    return out;
}

// An Origin header value as browsers send it: scheme "://" host [":" port], nothing else.
bool is_origin(std::string_view o) {
    const auto sep = o.find("://");
    if (sep == std::string_view::npos || sep == 0) return false;
    const auto rest = o.substr(sep + 3);
    if (rest.empty() || rest.find('/') != std::string_view::npos) return false;
    for (char ch : o) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7f || ch == ',') return false;
    }
    return true;
}

const std::vector<flag_spec>& flags() {
    static const std::vector<flag_spec> table = {
        {"--address", "ADDR", "address to listen on (default 0.0.0.0)",
         [](config& c, std::string_view flag, std::string_view v) -> std::string {
             if (v.empty()) return fmt::format("{} needs a value", flag);
             c.address = std::string(v);
             return {};
         }},
        {"--port", "N",
         "TCP port, 0 for any free port (default 3000; the PORT environment\n"
         "variable replaces the default)",
         uint_flag(&config::port, 0, 65535, "a port")},
        {"--threads", "N", "I/O threads (default: one per core)", uint_flag(&config::threads, 1, 256, "a thread count")},
        {"--app", "integers|echo", "application to serve (default integers)",
         [](config& c, std::string_view flag, std::string_view v) -> std::string {
             if (v == "integers") c.app = app_kind::integers;
             else if (v == "echo") c.app = app_kind::echo;
             else return fmt::format("invalid value '{}' for {}: expected integers or echo", v, flag);
             return {};
         }},
        {"--tick-ms", "N", "integer producer period in ms (default 1000)",
         uint_flag(&config::tick_ms, 1, max_ms, "milliseconds")},
        {"--ping-interval-ms", "N", "Engine.IO ping interval (default 25000)",
         uint_flag(&config::ping_interval_ms, 1, max_ms, "milliseconds")},
        {"--ping-timeout-ms", "N", "Engine.IO ping timeout (default 20000)",
         uint_flag(&config::ping_timeout_ms, 1, max_ms, "milliseconds")},
        {"--connect-timeout-ms", "N", "close a connection that joins no namespace in time (default 45000)",
         uint_flag(&config::connect_timeout_ms, 1, max_ms, "milliseconds")},
        {"--max-payload", "N", "largest message accepted, in bytes (default 1000000)",
         uint_flag(&config::max_payload, 16, 100000000, "bytes")},
        {"--send-queue-limit", "N", "frames queued per connection before it is closed (default 256)",
         uint_flag(&config::send_queue_limit, 1, 1000000, "frames")},
        {"--send-queue-bytes", "N", "bytes queued per connection before it is closed (default 4194304)",
         uint_flag(&config::send_queue_bytes, 1024, 1ULL << 34, "bytes")},
        {"--max-messages-per-second", "N",
         "messages a client may send per second (burst: as many at once);\n"
         "a client above it is closed with 1008 (default 200, 0 = no limit)",
         uint_flag(&config::max_messages_per_second, 0, 1000000, "messages")},
        {"--binary-timeout-ms", "N", "time for all attachments of a binary packet to arrive (default 10000)",
         uint_flag(&config::binary_timeout_ms, 1, max_ms, "milliseconds")},
        {"--max-attachments", "N", "binary attachments one packet may announce (default 10)",
         uint_flag(&config::max_attachments, 0, 1000, "attachments")},
        {"--max-json-depth", "N", "nesting depth of a packet's JSON payload (default 128)",
         uint_flag(&config::max_json_depth, 1, 1000, "levels")},
        {"--max-pending-acks", "N", "server acknowledgement requests awaiting a client,\n"
         "per socket (default 1024)",
         uint_flag(&config::max_pending_acks, 1, 1000000, "acknowledgements")},
        {"--max-rooms-per-socket", "N", "rooms one socket may join (default 1000)",
         uint_flag(&config::max_rooms_per_socket, 1, 1000000, "rooms")},
        {"--max-room-name-bytes", "N", "longest room name join() accepts (default 256)",
         uint_flag(&config::max_room_name_bytes, 1, 1048576, "bytes")},
        {"--max-plain-message-bytes", "N",
         "largest message a plain-stream client may send (it is dropped);\n"
         "1009 above (default 4096)",
         uint_flag(&config::max_plain_message_bytes, 16, 100000000, "bytes")},
        {"--max-namespaces", "N", "namespaces one connection may join (default 32)",
         uint_flag(&config::max_namespaces, 1, 100000, "namespaces")},
        {"--max-dynamic-namespaces", "N",
         "namespaces dynamic namespaces (library API) may create, at once;\n"
         "CONNECT_ERROR beyond it (default 1000)",
         uint_flag(&config::max_dynamic_namespaces, 1, 1000000, "namespaces")},
        {"--max-dynamic-name-bytes", "N",
         "longest namespace name a dynamic namespace may create (default 256)",
         uint_flag(&config::max_dynamic_name_bytes, 1, 65536, "bytes")},
        {"--recovery-window-ms", "N",
         "connection state recovery: a client that reconnects within N ms\n"
         "resumes its session and gets what it missed; every event then\n"
         "carries its offset as one more argument (default 0 = off)",
         uint_flag(&config::recovery_window_ms, 0, max_ms, "milliseconds")},
        {"--recovery-max-packets", "N", "packets the recovery log keeps per namespace (default 100000)",
         uint_flag(&config::recovery_max_packets, 1, 100000000, "packets")},
        {"--recovery-max-bytes", "N", "bytes the recovery log keeps per namespace (default 67108864)",
         uint_flag(&config::recovery_max_bytes, 1024, 1ULL << 36, "bytes")},
        {"--recovery-max-sessions", "N",
         "sessions of disconnected clients kept per namespace;\n"
         "the oldest go first (default 100000)",
         uint_flag(&config::recovery_max_sessions, 1, 100000000, "sessions")},
        {"--redis", "URL",
         "run as one node of a cluster on Redis:\n"
         "redis://[[user]:pass@]host[:port][/db] or rediss:// (TLS);\n"
         "broadcasts reach every node, one node produces\n"
         "(default: none, a single node)",
         [](config& c, std::string_view flag, std::string_view v) -> std::string {
             std::string why;
             auto u = redis::parse_url(v, &why);
             if (!u) return fmt::format("invalid value for {}: {}", flag, why);
             c.redis = std::move(*u);
             return {};
         }},
        {"--redis-adapter", "NAME",
         "how nodes talk: streams, @socket.io/redis-streams-adapter's\n"
         "protocol (sessions recover on any node), or pubsub,\n"
         "@socket.io/redis-adapter's (and the emitter's) (default streams)",
         [](config& c, std::string_view flag, std::string_view v) -> std::string {
             if (v == "pubsub" || v == "streams") {
                 c.redis_adapter = std::string(v);
                 return {};
             }
             return fmt::format("invalid value '{}' for {}: expected streams or pubsub", v, flag);
         }},
        {"--redis-stream-maxlen", "N",
         "streams: entries the stream keeps (MAXLEN ~); a client that\n"
         "missed more than this does not recover (default 10000)",
         uint_flag(&config::redis_stream_maxlen, 100, 100000000, "entries")},
        {"--redis-key", "KEY", "prefix of the Redis channels and the stream's name,\n"
         "as the Node adapters' key option (default socket.io)",
         [](config& c, std::string_view flag, std::string_view v) -> std::string {
             if (v.empty() || v.find_first_of("# *?[]") != std::string_view::npos)
                 return fmt::format("invalid value '{}' for {}: expected a name without # * ? [ ] or spaces", v, flag);
             c.redis_key = std::string(v);
             return {};
         }},
        {"--redis-timeout-ms", "N",
         "connecting to Redis, and waiting for a reply: slower and the\n"
         "connection is dropped and made again (default 5000)",
         uint_flag(&config::redis_timeout_ms, 100, max_ms, "milliseconds")},
        {"--redis-reconnect-max-ms", "N", "longest wait between reconnection attempts (default 5000)",
         uint_flag(&config::redis_reconnect_max_ms, 100, max_ms, "milliseconds")},
        {"--redis-ca-file", "FILE", "rediss://: PEM CA certificates to trust (default: the system's)",
         string_flag(&config::redis_ca_file)},
        {"--cluster-lease-ms", "N",
         "the producer's lease: a node that stops renewing it is replaced\n"
         "within N ms (default 3000)",
         uint_flag(&config::cluster_lease_ms, 300, 600000, "milliseconds")},
        {"--max-connections", "N",
         "WebSocket connections at once; the next upgrade gets 503 (default:\n"
         "the open-file limit minus a reserve, see docs/reliability.md)",
         uint_flag(&config::max_connections, 1, 10000000, "connections")},
        {"--handshake-timeout-ms", "N", "an HTTP request or WebSocket upgrade must be\n"
         "complete in time (default 10000)",
         uint_flag(&config::handshake_timeout_ms, 1, max_ms, "milliseconds")},
        {"--close-timeout-ms", "N", "a close handshake the peer does not complete is\n"
         "cut after this (default 3000)",
         uint_flag(&config::close_timeout_ms, 1, max_ms, "milliseconds")},
        {"--max-header-bytes", "N", "request line and headers of an HTTP request;\n"
         "431 above (default 16384)",
         uint_flag(&config::max_header_bytes, 1024, 1048576, "bytes")},
        {"--max-body-bytes", "N", "HTTP request body (none is used; 413 above) (default 65536)",
         uint_flag(&config::max_body_bytes, 0, 1048576, "bytes")},
        {"--allowed-origins", "A,B",
         "browser origins allowed to open WebSockets\n"
         "(e.g. https://example.com); others get 403;\n"
         "requests without Origin are allowed (default: any)",
         [](config& c, std::string_view flag, std::string_view v) -> std::string {
             auto list = split_list(v);
             if (list.empty()) return fmt::format("{} needs a value", flag);
             for (const auto& o : list) {
                 if (!is_origin(o))
                     return fmt::format("invalid origin '{}' for {}: expected scheme://host[:port]", o, flag);
             }
             c.allowed_origins = std::move(list);
             return {};
         }},
        {"--auth-token", "T",
         "require this token: Socket.IO auth {\"token\": T},\n"
         "plain stream ?token=T or Authorization: Bearer T\n"
         "(default: none; BEASTIO_AUTH_TOKEN also sets it)",
         string_flag(&config::auth_token)},
        {"--tls-cert", "FILE", "PEM certificate chain: serve https:// and wss:// (needs --tls-key)",
         string_flag(&config::tls_cert)},
        {"--tls-key", "FILE", "PEM private key of --tls-cert", string_flag(&config::tls_key)},
        {"--log-level", "LEVEL", "debug, info, warn or error (default info)",
         [](config& c, std::string_view flag, std::string_view v) -> std::string {
             auto l = log::parse_level(v);
             if (!l) return fmt::format("invalid value '{}' for {}: expected debug, info, warn or error", v, flag);
             c.log_level = *l;
             return {};
         }},
        {"--static-dir", "DIR", "files served at GET / (default: the bundled demo page)",
         string_flag(&config::static_dir)},
        {"--client-dist", "DIR",
         "socket.io-client dist folder served at /socket.io/socket.io.min.js\n"
         "(default: the pinned npm package in clients/)",
         string_flag(&config::client_dist)},
    };
    return table;
}

parse_outcome fail(std::string msg) {
    parse_outcome o;
    o.what = parse_outcome::action::error;
    o.message = std::move(msg);
    return o;
}

}  // namespace

std::string help_text() {
    std::string out =
        "beastio: a websocket-only Socket.IO (Engine.IO v4 / Socket.IO v5) server\n"
        "\n"
        "Usage: beastio [flags]\n"
        "\n";
    constexpr std::size_t column = 31;
    auto line = [&](std::string_view left, std::string_view help) {
        std::string head = fmt::format("  {}", left);
        if (head.size() + 1 > column) {
            out += head + "\n";
            head.clear();
        }
        head.resize(column, ' ');
        bool first = true;
        while (!help.empty()) {
            const auto nl = help.find('\n');
            const auto part = help.substr(0, nl);
            out += (first ? head : std::string(column, ' ')) + std::string(part) + "\n";
            first = false;
            if (nl == std::string_view::npos) break;
            help.remove_prefix(nl + 1);
        }
    };
    for (const auto& f : flags()) line(fmt::format("{} {}", f.name, f.metavar), f.help);
    line("--help", "show this help and exit");
    line("--version", "show the version and exit");
    out +=
        "\n"
        "Environment: PORT replaces the default port; BEASTIO_AUTH_TOKEN sets the token\n"
        "(flags win over both).\n"
        "\n"
        "WebSocket upgrades are accepted under /_ws/ and /socket.io/ only. HTTP long-polling\n"
        "is refused: clients must use transports: [\"websocket\"]. Every limit is described\n"
        "in docs/reliability.md.\n";
    return out;
}

parse_outcome parse_args(const std::vector<std::string>& args, std::optional<std::string> port_env,
                         unsigned hardware_threads) {
    environment env;
    env.port = std::move(port_env);
    return parse_args(args, env, hardware_threads);
}

parse_outcome parse_args(const std::vector<std::string>& args, const environment& env, unsigned hardware_threads) {
    parse_outcome out;
    config& c = out.cfg;
    c.threads = hardware_threads == 0 ? 1 : hardware_threads;
    if (env.port && !env.port->empty()) {
        if (!parse_uint<std::uint16_t>(*env.port, c.port, 0, 65535))
            return fail(fmt::format("invalid PORT environment variable '{}': expected 0-65535", *env.port));
    }
    if (env.auth_token) c.auth_token = *env.auth_token;

    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string name = args[i];
        std::optional<std::string> inline_value;
        if (auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (name == "--help" || name == "-h") {
            out.what = parse_outcome::action::help;
            return out;
        }
        if (name == "--version") {
            out.what = parse_outcome::action::version;
            return out;
        }
        const flag_spec* spec = nullptr;
        for (const auto& f : flags()) {
            if (f.name == name) {
                spec = &f;
                break;
            }
        }
        if (spec == nullptr) return fail(fmt::format("unknown flag '{}' (see --help)", args[i]));
        std::string value;
        if (inline_value) value = *inline_value;
        else if (i + 1 < args.size()) value = args[++i];
        else return fail(fmt::format("{} needs a value", name));
        if (auto err = spec->set(c, name, value); !err.empty()) return fail(std::move(err));
    }

    if (!c.redis && !c.redis_ca_file.empty()) return fail("--redis-ca-file needs --redis rediss://...");
    if (c.redis && !c.redis_ca_file.empty() && !c.redis->tls) return fail("--redis-ca-file needs a rediss:// URL");
    if (c.tls_cert.empty() != c.tls_key.empty())
        return fail(c.tls_cert.empty() ? "--tls-key needs --tls-cert" : "--tls-cert needs --tls-key");
    return out;
}

}  // namespace beastio::server
