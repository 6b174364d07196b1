#include "server/config.hpp"

#include <charconv>
#include <fmt/format.h>
#include <limits>
#include <string_view>

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

parse_outcome fail(std::string msg) {
    parse_outcome o;
    o.what = parse_outcome::action::error;
    o.message = std::move(msg);
    return o;
}

constexpr std::uint64_t max_ms = 24ULL * 3600 * 1000;  // one day

}  // namespace

std::string help_text() {
    return R"(beastio: a websocket-only Socket.IO (Engine.IO v4 / Socket.IO v5) server

Usage: beastio [flags]

  --address ADDR             address to listen on (default 0.0.0.0)
  --port N                   TCP port, 0 for any free port (default 3000; the PORT
                             environment variable replaces the default)
  --threads N                I/O threads (default: one per core)
  --app integers|echo        application to serve (default integers)
  --tick-ms N                integer producer period in ms (default 1000)
  --ping-interval-ms N       Engine.IO ping interval (default 25000)
  --ping-timeout-ms N        Engine.IO ping timeout (default 20000)
  --connect-timeout-ms N     close a connection that joins no namespace in time (default 45000)
  --max-payload N            largest message accepted, in bytes (default 1000000)
  --send-queue-limit N       frames queued per connection before it is closed (default 256)
  --log-level LEVEL          debug, info, warn or error (default info)
  --static-dir DIR           files served at GET / (default: the bundled demo page)
  --client-dist DIR          socket.io-client dist folder served at /socket.io/socket.io.min.js
                             (default: the pinned npm package in clients/)
  --help                     show this help and exit
  --version                  show the version and exit

WebSocket upgrades are accepted under /_ws/ and /socket.io/ only. HTTP long-polling
is refused: clients must use transports: ["websocket"].
)";
}

parse_outcome parse_args(const std::vector<std::string>& args, std::optional<std::string> port_env,
                         unsigned hardware_threads) {
    parse_outcome out;
    config& c = out.cfg;
    c.threads = hardware_threads == 0 ? 1 : hardware_threads;
    if (port_env && !port_env->empty()) {
        if (!parse_uint<std::uint16_t>(*port_env, c.port, 0, 65535))
            return fail(fmt::format("invalid PORT environment variable '{}': expected 0-65535", *port_env));
    }

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
        auto value = [&]() -> std::optional<std::string> {
            if (inline_value) return inline_value;
            if (i + 1 < args.size()) return args[++i];
            return std::nullopt;
        };
        auto need = [&](std::optional<std::string>& v) { v = value(); return v.has_value(); };
        std::optional<std::string> v;

        auto number = [&](auto& field, auto min, auto max, const char* what) -> std::optional<parse_outcome> {
            using T = std::remove_reference_t<decltype(field)>;
            if (!need(v)) return fail(fmt::format("{} needs a value", name));
            if (!parse_uint<T>(*v, field, static_cast<T>(min), static_cast<T>(max)))
                return fail(fmt::format("invalid value '{}' for {}: expected {} from {} to {}", *v, name, what,
                                        min, max));
            return std::nullopt;
        };

        std::optional<parse_outcome> err;
        if (name == "--address") {
            if (!need(v) || v->empty()) return fail("--address needs a value");
            c.address = *v;
        } else if (name == "--port") {
            err = number(c.port, 0, 65535, "a port");
        } else if (name == "--threads") {
            err = number(c.threads, 1, 256, "a thread count");
        } else if (name == "--app") {
            if (!need(v)) return fail("--app needs a value");
            if (*v == "integers") c.app = app_kind::integers;
            else if (*v == "echo") c.app = app_kind::echo;
            else return fail(fmt::format("invalid value '{}' for --app: expected integers or echo", *v));
        } else if (name == "--tick-ms") {
            err = number(c.tick_ms, 1, max_ms, "milliseconds");
        } else if (name == "--ping-interval-ms") {
            err = number(c.ping_interval_ms, 1, max_ms, "milliseconds");
        } else if (name == "--ping-timeout-ms") {
            err = number(c.ping_timeout_ms, 1, max_ms, "milliseconds");
        } else if (name == "--connect-timeout-ms") {
            err = number(c.connect_timeout_ms, 1, max_ms, "milliseconds");
        } else if (name == "--max-payload") {
            err = number(c.max_payload, 16, 100000000, "bytes");
        } else if (name == "--send-queue-limit") {
            err = number(c.send_queue_limit, 1, 1000000, "frames");
        } else if (name == "--log-level") {
            if (!need(v)) return fail("--log-level needs a value");
            auto l = log::parse_level(*v);
            if (!l) return fail(fmt::format("invalid value '{}' for --log-level: expected debug, info, warn or error", *v));
            c.log_level = *l;
        } else if (name == "--static-dir") {
            if (!need(v) || v->empty()) return fail("--static-dir needs a value");
            c.static_dir = *v;
        } else if (name == "--client-dist") {
            if (!need(v) || v->empty()) return fail("--client-dist needs a value");
            c.client_dist = *v;
        } else {
            return fail(fmt::format("unknown flag '{}' (see --help)", args[i]));
        }
        if (err) return *err;
    }
    return out;
}

}  // namespace beastio::server
