// Server settings: defaults, command-line flags and the PORT environment
// variable. Parsing is pure (no I/O) so it is unit-tested directly.
#pragma once

#include "server/log.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
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
    std::size_t send_queue_limit = 256;  // frames waiting per connection
    log::level log_level = log::level::info;
    std::string static_dir;   // files served at GET /; empty = the bundled demo page
    std::string client_dist;  // socket.io-client browser bundle; empty = the pinned npm package
};

// What parse_args decided: run with a config, print help/version and exit 0,
// or refuse with a one-line reason (exit non-zero).
struct parse_outcome {
    enum class action { run, help, version, error };
    action what = action::run;
    config cfg;
    std::string message;  // the reason, for action::error
};

// args excludes argv[0]. port_env is the value of $PORT, if set: it replaces
// the default port; --port still wins.
parse_outcome parse_args(const std::vector<std::string>& args, std::optional<std::string> port_env,
                         unsigned hardware_threads);

std::string help_text();

}  // namespace beastio::server
