// parse_args / help_text: defaults, every flag, the PORT variable and every
// way a value can be wrong. Pure: the environment is passed in, nothing is read.
#include "server/core/config.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

using beastio::server::app_kind;
using beastio::server::config;
using beastio::server::help_text;
using beastio::server::parse_args;
using beastio::server::parse_outcome;
using action = parse_outcome::action;
using level = beastio::log::level;

namespace {

std::string joined(const std::vector<std::string>& args) {
    std::string out;
    for (const auto& a : args) out += (out.empty() ? "" : " ") + ("'" + a + "'");
    return out;
}

}  // namespace

TEST_CASE("parse_args: no flags gives the documented defaults", "[config]") {
    const auto o = parse_args({}, std::nullopt, 8);
    REQUIRE(o.what == action::run);
    CHECK(o.message.empty());
    const config& c = o.cfg;
    CHECK(c.address == "0.0.0.0");
    CHECK(c.port == 3000);
    CHECK(c.threads == 8);
    CHECK(c.app == app_kind::integers);
    CHECK(c.tick_ms == 1000);
    CHECK(c.ping_interval_ms == 25000);
    CHECK(c.ping_timeout_ms == 20000);
    CHECK(c.connect_timeout_ms == 45000);
    CHECK(c.max_payload == 1000000);
    CHECK(c.send_queue_limit == 256);
    CHECK(c.log_level == level::info);
    CHECK(c.static_dir.empty());
    CHECK(c.client_dist.empty());
    // limits (docs/reliability.md)
    CHECK(c.send_queue_bytes == 4 * 1024 * 1024);
    CHECK(c.max_messages_per_second == 200);
    CHECK(c.binary_timeout_ms == 10000);
    CHECK(c.max_attachments == 10);
    CHECK(c.max_json_depth == 128);
    CHECK(c.max_body_bytes == 65536);
    CHECK(c.max_pending_acks == 1024);
    CHECK(c.max_rooms_per_socket == 1000);
    CHECK(c.max_room_name_bytes == 256);
    CHECK(c.max_plain_message_bytes == 4096);
    CHECK(c.max_namespaces == 32);
    CHECK(c.max_dynamic_namespaces == 1000);
    CHECK(c.max_dynamic_name_bytes == 256);
    CHECK(c.recovery_window_ms == 0);  // off, as in socket.io
    CHECK(c.recovery_max_packets == 100000);
    CHECK(c.recovery_max_bytes == 64ULL << 20);
    CHECK(c.recovery_max_sessions == 100000);
    CHECK(c.max_connections == 0);  // derived from the open-file limit at start-up
    CHECK(c.handshake_timeout_ms == 10000);
    CHECK(c.close_timeout_ms == 3000);
    CHECK(c.max_header_bytes == 16384);
    // security: all off
    CHECK(c.allowed_origins.empty());
    CHECK(c.auth_token.empty());
    CHECK_FALSE(c.tls());
}

TEST_CASE("parse_args: unknown hardware concurrency means one thread", "[config]") {
    const auto o = parse_args({}, std::nullopt, 0);
    REQUIRE(o.what == action::run);
    CHECK(o.cfg.threads == 1);
}

namespace {

struct flag_row {
    std::vector<std::string> args;
    std::function<void(const config&)> check;
};

}  // namespace

TEST_CASE("parse_args: every flag with valid values, separate and --flag=value forms", "[config]") {
    const auto row = GENERATE(values<flag_row>({
        {{"--address", "127.0.0.1"}, [](const config& c) { CHECK(c.address == "127.0.0.1"); }},
        {{"--address=::1"}, [](const config& c) { CHECK(c.address == "::1"); }},
        {{"--port", "8080"}, [](const config& c) { CHECK(c.port == 8080); }},
        {{"--port=0"}, [](const config& c) { CHECK(c.port == 0); }},
        {{"--port", "65535"}, [](const config& c) { CHECK(c.port == 65535); }},
        {{"--threads", "1"}, [](const config& c) { CHECK(c.threads == 1); }},
        {{"--threads=256"}, [](const config& c) { CHECK(c.threads == 256); }},
        {{"--app", "echo"}, [](const config& c) { CHECK(c.app == app_kind::echo); }},
        {{"--app=integers"}, [](const config& c) { CHECK(c.app == app_kind::integers); }},
        {{"--tick-ms", "5"}, [](const config& c) { CHECK(c.tick_ms == 5); }},
        {{"--tick-ms=86400000"}, [](const config& c) { CHECK(c.tick_ms == 86400000); }},
        {{"--ping-interval-ms", "300"}, [](const config& c) { CHECK(c.ping_interval_ms == 300); }},
        {{"--ping-interval-ms=1"}, [](const config& c) { CHECK(c.ping_interval_ms == 1); }},
        {{"--ping-timeout-ms", "200"}, [](const config& c) { CHECK(c.ping_timeout_ms == 200); }},
        {{"--ping-timeout-ms=200"}, [](const config& c) { CHECK(c.ping_timeout_ms == 200); }},
        {{"--connect-timeout-ms", "1000"}, [](const config& c) { CHECK(c.connect_timeout_ms == 1000); }},
        {{"--connect-timeout-ms=1000"}, [](const config& c) { CHECK(c.connect_timeout_ms == 1000); }},
        {{"--max-payload", "16"}, [](const config& c) { CHECK(c.max_payload == 16); }},
        {{"--max-payload=100000000"}, [](const config& c) { CHECK(c.max_payload == 100000000); }},
        {{"--send-queue-limit", "1"}, [](const config& c) { CHECK(c.send_queue_limit == 1); }},
        {{"--send-queue-limit=1000000"}, [](const config& c) { CHECK(c.send_queue_limit == 1000000); }},
        {{"--log-level", "debug"}, [](const config& c) { CHECK(c.log_level == level::debug); }},
        {{"--log-level=warn"}, [](const config& c) { CHECK(c.log_level == level::warn); }},
        {{"--log-level", "warning"}, [](const config& c) { CHECK(c.log_level == level::warn); }},
        {{"--log-level", "error"}, [](const config& c) { CHECK(c.log_level == level::error); }},
        {{"--log-level", "info"}, [](const config& c) { CHECK(c.log_level == level::info); }},
        {{"--static-dir", "/srv/www"}, [](const config& c) { CHECK(c.static_dir == "/srv/www"); }},
        {{"--static-dir=a=b"}, [](const config& c) { CHECK(c.static_dir == "a=b"); }},
        {{"--client-dist", "/opt/dist"}, [](const config& c) { CHECK(c.client_dist == "/opt/dist"); }},
        {{"--client-dist=dist"}, [](const config& c) { CHECK(c.client_dist == "dist"); }},
        {{"--send-queue-bytes", "1024"}, [](const config& c) { CHECK(c.send_queue_bytes == 1024); }},
        {{"--send-queue-bytes=17179869184"}, [](const config& c) { CHECK(c.send_queue_bytes == 17179869184ULL); }},
        {{"--max-messages-per-second", "0"}, [](const config& c) { CHECK(c.max_messages_per_second == 0); }},
        {{"--max-messages-per-second=1000000"}, [](const config& c) { CHECK(c.max_messages_per_second == 1000000); }},
        {{"--binary-timeout-ms", "1"}, [](const config& c) { CHECK(c.binary_timeout_ms == 1); }},
        {{"--max-pending-acks", "1"}, [](const config& c) { CHECK(c.max_pending_acks == 1); }},
        {{"--max-attachments", "0"}, [](const config& c) { CHECK(c.max_attachments == 0); }},
        {{"--max-attachments=1000"}, [](const config& c) { CHECK(c.max_attachments == 1000); }},
        {{"--max-json-depth", "1"}, [](const config& c) { CHECK(c.max_json_depth == 1); }},
        {{"--max-body-bytes", "0"}, [](const config& c) { CHECK(c.max_body_bytes == 0); }},
        {{"--max-rooms-per-socket=1000000"}, [](const config& c) { CHECK(c.max_rooms_per_socket == 1000000); }},
        {{"--max-namespaces", "1"}, [](const config& c) { CHECK(c.max_namespaces == 1); }},
        {{"--max-dynamic-namespaces", "1000000"}, [](const config& c) { CHECK(c.max_dynamic_namespaces == 1000000); }},
        {{"--max-dynamic-name-bytes", "1"}, [](const config& c) { CHECK(c.max_dynamic_name_bytes == 1); }},
        {{"--recovery-window-ms", "86400000"}, [](const config& c) { CHECK(c.recovery_window_ms == 86400000); }},
        {{"--recovery-window-ms=0"}, [](const config& c) { CHECK(c.recovery_window_ms == 0); }},
        {{"--recovery-max-packets", "1"}, [](const config& c) { CHECK(c.recovery_max_packets == 1); }},
        {{"--recovery-max-bytes", "1024"}, [](const config& c) { CHECK(c.recovery_max_bytes == 1024); }},
        {{"--recovery-max-sessions", "100000000"}, [](const config& c) { CHECK(c.recovery_max_sessions == 100000000); }},
        {{"--max-room-name-bytes", "1"}, [](const config& c) { CHECK(c.max_room_name_bytes == 1); }},
        {{"--redis", "redis://127.0.0.1:6380/2"},
         [](const config& c) {
             REQUIRE(c.redis);
             CHECK(c.redis->host == "127.0.0.1");
             CHECK(c.redis->port == 6380);
             CHECK(c.redis->db == 2);
         }},
        {{"--redis-adapter", "pubsub"}, [](const config& c) { CHECK_FALSE(c.redis); CHECK(c.redis_adapter == "pubsub"); }},
        {{"--redis-adapter", "streams"}, [](const config& c) { CHECK(c.redis_adapter == "streams"); }},
        {{}, [](const config& c) { CHECK(c.redis_adapter == "streams"); CHECK(c.redis_stream_maxlen == 10000); }},
        {{"--redis-stream-maxlen", "100"}, [](const config& c) { CHECK(c.redis_stream_maxlen == 100); }},
        {{"--redis-stream-maxlen", "100000000"}, [](const config& c) { CHECK(c.redis_stream_maxlen == 100000000); }},
        {{"--redis-key", "my-app"}, [](const config& c) { CHECK(c.redis_key == "my-app"); }},
        {{"--redis-timeout-ms", "100"}, [](const config& c) { CHECK(c.redis_timeout_ms == 100); }},
        {{"--redis-reconnect-max-ms=86400000"}, [](const config& c) { CHECK(c.redis_reconnect_max_ms == 86400000); }},
        {{"--redis", "rediss://r.example:6380", "--redis-ca-file", "ca.pem"},
         [](const config& c) {
             REQUIRE(c.redis);
             CHECK(c.redis->tls);
             CHECK(c.redis_ca_file == "ca.pem");
         }},
        {{"--cluster-lease-ms", "300"}, [](const config& c) { CHECK(c.cluster_lease_ms == 300); }},
        {{"--cluster-lease-ms=600000"}, [](const config& c) { CHECK(c.cluster_lease_ms == 600000); }},
        {{"--max-plain-message-bytes=16"}, [](const config& c) { CHECK(c.max_plain_message_bytes == 16); }},
        {{"--max-connections", "1"}, [](const config& c) { CHECK(c.max_connections == 1); }},
        {{"--handshake-timeout-ms", "250"}, [](const config& c) { CHECK(c.handshake_timeout_ms == 250); }},
        {{"--close-timeout-ms=86400000"}, [](const config& c) { CHECK(c.close_timeout_ms == 86400000); }},
        {{"--max-header-bytes", "1024"}, [](const config& c) { CHECK(c.max_header_bytes == 1024); }},
        {{"--max-header-bytes=1048576"}, [](const config& c) { CHECK(c.max_header_bytes == 1048576); }},
        {{"--allowed-origins", "https://a.example,http://localhost:3000"},
         [](const config& c) {
             CHECK(c.allowed_origins == std::vector<std::string>{"https://a.example", "http://localhost:3000"});
         }},
        {{"--allowed-origins= https://a.example , ,https://b.example"},
         [](const config& c) { CHECK(c.allowed_origins == std::vector<std::string>{"https://a.example", "https://b.example"}); }},
        {{"--auth-token", "s3cr=t"}, [](const config& c) { CHECK(c.auth_token == "s3cr=t"); }},
        {{"--auth-token=a=b"}, [](const config& c) { CHECK(c.auth_token == "a=b"); }},
        {{"--tls-cert", "c.pem", "--tls-key", "k.pem"},
         [](const config& c) {
             CHECK(c.tls());
             CHECK(c.tls_cert == "c.pem");
             CHECK(c.tls_key == "k.pem");
         }},
        // Several flags together; the last of a repeated flag wins.
        {{"--port", "1", "--port=2", "--app", "echo", "--threads", "3"},
         [](const config& c) {
             CHECK(c.port == 2);
             CHECK(c.app == app_kind::echo);
             CHECK(c.threads == 3);
         }},
    }));
    INFO("args: " << joined(row.args));
    const auto o = parse_args(row.args, std::nullopt, 4);
    INFO("message: " << o.message);
    REQUIRE(o.what == action::run);
    row.check(o.cfg);
}

TEST_CASE("parse_args: PORT replaces the default, --port wins", "[config]") {
    SECTION("PORT alone") {
        const auto o = parse_args({}, std::string("4000"), 1);
        REQUIRE(o.what == action::run);
        CHECK(o.cfg.port == 4000);
    }
    SECTION("PORT=0 means any free port") {
        const auto o = parse_args({}, std::string("0"), 1);
        REQUIRE(o.what == action::run);
        CHECK(o.cfg.port == 0);
    }
    SECTION("--port beats PORT") {
        const auto o = parse_args({"--port", "5000"}, std::string("4000"), 1);
        REQUIRE(o.what == action::run);
        CHECK(o.cfg.port == 5000);
    }
    SECTION("--port=value beats PORT") {
        const auto o = parse_args({"--port=5001"}, std::string("4000"), 1);
        REQUIRE(o.what == action::run);
        CHECK(o.cfg.port == 5001);
    }
    SECTION("an empty PORT is as if unset") {
        const auto o = parse_args({}, std::string(""), 1);
        REQUIRE(o.what == action::run);
        CHECK(o.cfg.port == 3000);
    }
}

TEST_CASE("parse_args: an invalid PORT variable is an error naming PORT", "[config]") {
    const std::string bad = GENERATE(as<std::string>{}, "abc", "-1", "+80", "65536", "80x", " 80", "99999999999999999999999");
    INFO("PORT='" << bad << "'");
    const auto o = parse_args({}, bad, 1);
    REQUIRE(o.what == action::error);
    CHECK(o.message == "invalid PORT environment variable '" + bad + "': expected 0-65535");
}

namespace {

struct error_row {
    std::vector<std::string> args;
    std::string message;  // exact
};

}  // namespace

TEST_CASE("parse_args: every bad value is a one-line error naming the flag", "[config]") {
    const auto row = GENERATE(values<error_row>({
        // non-numeric, signed, out of range, empty, overflowing
        {{"--port", "abc"}, "invalid value 'abc' for --port: expected a port from 0 to 65535"},
        {{"--port", "-1"}, "invalid value '-1' for --port: expected a port from 0 to 65535"},
        {{"--port", "+1"}, "invalid value '+1' for --port: expected a port from 0 to 65535"},
        {{"--port", "65536"}, "invalid value '65536' for --port: expected a port from 0 to 65535"},
        {{"--port", "80x"}, "invalid value '80x' for --port: expected a port from 0 to 65535"},
        {{"--port", "1.5"}, "invalid value '1.5' for --port: expected a port from 0 to 65535"},
        {{"--port="}, "invalid value '' for --port: expected a port from 0 to 65535"},
        {{"--port", ""}, "invalid value '' for --port: expected a port from 0 to 65535"},
        {{"--port", "18446744073709551616"},
         "invalid value '18446744073709551616' for --port: expected a port from 0 to 65535"},
        {{"--threads", "0"}, "invalid value '0' for --threads: expected a thread count from 1 to 256"},
        {{"--threads=257"}, "invalid value '257' for --threads: expected a thread count from 1 to 256"},
        {{"--threads", "many"}, "invalid value 'many' for --threads: expected a thread count from 1 to 256"},
        {{"--tick-ms", "0"}, "invalid value '0' for --tick-ms: expected milliseconds from 1 to 86400000"},
        {{"--tick-ms", "86400001"}, "invalid value '86400001' for --tick-ms: expected milliseconds from 1 to 86400000"},
        {{"--ping-interval-ms", "-5"},
         "invalid value '-5' for --ping-interval-ms: expected milliseconds from 1 to 86400000"},
        {{"--ping-timeout-ms=0"}, "invalid value '0' for --ping-timeout-ms: expected milliseconds from 1 to 86400000"},
        {{"--connect-timeout-ms", "soon"},
         "invalid value 'soon' for --connect-timeout-ms: expected milliseconds from 1 to 86400000"},
        {{"--max-payload", "15"}, "invalid value '15' for --max-payload: expected bytes from 16 to 100000000"},
        {{"--max-payload", "100000001"},
         "invalid value '100000001' for --max-payload: expected bytes from 16 to 100000000"},
        {{"--send-queue-limit", "0"}, "invalid value '0' for --send-queue-limit: expected frames from 1 to 1000000"},
        {{"--send-queue-limit", "1000001"},
         "invalid value '1000001' for --send-queue-limit: expected frames from 1 to 1000000"},
        {{"--send-queue-bytes", "1023"},
         "invalid value '1023' for --send-queue-bytes: expected bytes from 1024 to 17179869184"},
        {{"--max-messages-per-second", "-1"},
         "invalid value '-1' for --max-messages-per-second: expected messages from 0 to 1000000"},
        {{"--binary-timeout-ms", "0"},
         "invalid value '0' for --binary-timeout-ms: expected milliseconds from 1 to 86400000"},
        {{"--max-attachments", "1001"},
         "invalid value '1001' for --max-attachments: expected attachments from 0 to 1000"},
        {{"--max-json-depth", "0"}, "invalid value '0' for --max-json-depth: expected levels from 1 to 1000"},
        {{"--max-body-bytes", "1048577"},
         "invalid value '1048577' for --max-body-bytes: expected bytes from 0 to 1048576"},
        {{"--max-pending-acks", "0"},
         "invalid value '0' for --max-pending-acks: expected acknowledgements from 1 to 1000000"},
        {{"--max-rooms-per-socket", "x"},
         "invalid value 'x' for --max-rooms-per-socket: expected rooms from 1 to 1000000"},
        {{"--max-room-name-bytes", "0"},
         "invalid value '0' for --max-room-name-bytes: expected bytes from 1 to 1048576"},
        {{"--max-plain-message-bytes", "15"},
         "invalid value '15' for --max-plain-message-bytes: expected bytes from 16 to 100000000"},
        {{"--max-namespaces", "100001"},
         "invalid value '100001' for --max-namespaces: expected namespaces from 1 to 100000"},
        {{"--max-dynamic-namespaces", "0"},
         "invalid value '0' for --max-dynamic-namespaces: expected namespaces from 1 to 1000000"},
        {{"--max-dynamic-name-bytes", "65537"},
         "invalid value '65537' for --max-dynamic-name-bytes: expected bytes from 1 to 65536"},
        {{"--recovery-window-ms", "86400001"},
         "invalid value '86400001' for --recovery-window-ms: expected milliseconds from 0 to 86400000"},
        {{"--recovery-max-packets", "0"},
         "invalid value '0' for --recovery-max-packets: expected packets from 1 to 100000000"},
        {{"--recovery-max-bytes", "1023"},
         "invalid value '1023' for --recovery-max-bytes: expected bytes from 1024 to 68719476736"},
        {{"--recovery-max-sessions", "0"},
         "invalid value '0' for --recovery-max-sessions: expected sessions from 1 to 100000000"},
        {{"--max-connections", "0"},
         "invalid value '0' for --max-connections: expected connections from 1 to 10000000"},
        {{"--redis", "localhost:6379"},
         "invalid value for --redis: expected redis://host[:port][/db] or rediss://... (TLS)"},
        {{"--redis", "redis://h:0"}, "invalid value for --redis: invalid port '0' in the Redis URL: expected 1 to 65535"},
        {{"--redis-adapter", "kafka"}, "invalid value 'kafka' for --redis-adapter: expected streams or pubsub"},
        {{"--redis-stream-maxlen", "99"},
         "invalid value '99' for --redis-stream-maxlen: expected entries from 100 to 100000000"},
        {{"--redis-stream-maxlen", "100000001"},
         "invalid value '100000001' for --redis-stream-maxlen: expected entries from 100 to 100000000"},
        {{"--redis-key", "a#b"},
         "invalid value 'a#b' for --redis-key: expected a name without # * ? [ ] or spaces"},
        {{"--redis-timeout-ms", "99"},
         "invalid value '99' for --redis-timeout-ms: expected milliseconds from 100 to 86400000"},
        {{"--redis-reconnect-max-ms", "99"},
         "invalid value '99' for --redis-reconnect-max-ms: expected milliseconds from 100 to 86400000"},
        {{"--redis-ca-file", "ca.pem"}, "--redis-ca-file needs --redis rediss://..."},
        {{"--redis", "redis://h", "--redis-ca-file", "ca.pem"}, "--redis-ca-file needs a rediss:// URL"},
        {{"--cluster-lease-ms", "299"},
         "invalid value '299' for --cluster-lease-ms: expected milliseconds from 300 to 600000"},
        {{"--cluster-lease-ms", "600001"},
         "invalid value '600001' for --cluster-lease-ms: expected milliseconds from 300 to 600000"},
        {{"--handshake-timeout-ms", "0"},
         "invalid value '0' for --handshake-timeout-ms: expected milliseconds from 1 to 86400000"},
        {{"--close-timeout-ms", "1s"},
         "invalid value '1s' for --close-timeout-ms: expected milliseconds from 1 to 86400000"},
        {{"--max-header-bytes", "1023"},
         "invalid value '1023' for --max-header-bytes: expected bytes from 1024 to 1048576"},
        {{"--allowed-origins", "example.com"},
         "invalid origin 'example.com' for --allowed-origins: expected scheme://host[:port]"},
        {{"--allowed-origins", "https://example.com/"},
         "invalid origin 'https://example.com/' for --allowed-origins: expected scheme://host[:port]"},
        {{"--allowed-origins", ","}, "--allowed-origins needs a value"},
        {{"--auth-token", ""}, "--auth-token needs a value"},
        {{"--tls-cert", "c.pem"}, "--tls-cert needs --tls-key"},
        {{"--tls-key", "k.pem"}, "--tls-key needs --tls-cert"},
        // missing values (flag last)
        {{"--address"}, "--address needs a value"},
        {{"--port"}, "--port needs a value"},
        {{"--threads"}, "--threads needs a value"},
        {{"--app"}, "--app needs a value"},
        {{"--tick-ms"}, "--tick-ms needs a value"},
        {{"--ping-interval-ms"}, "--ping-interval-ms needs a value"},
        {{"--ping-timeout-ms"}, "--ping-timeout-ms needs a value"},
        {{"--connect-timeout-ms"}, "--connect-timeout-ms needs a value"},
        {{"--max-payload"}, "--max-payload needs a value"},
        {{"--send-queue-limit"}, "--send-queue-limit needs a value"},
        {{"--log-level"}, "--log-level needs a value"},
        {{"--static-dir"}, "--static-dir needs a value"},
        {{"--client-dist"}, "--client-dist needs a value"},
        // empty string values
        {{"--address", ""}, "--address needs a value"},
        {{"--address="}, "--address needs a value"},
        {{"--static-dir="}, "--static-dir needs a value"},
        {{"--client-dist", ""}, "--client-dist needs a value"},
        // bad enumerations
        {{"--app", "chat"}, "invalid value 'chat' for --app: expected integers or echo"},
        {{"--app="}, "invalid value '' for --app: expected integers or echo"},
        {{"--app", "Echo"}, "invalid value 'Echo' for --app: expected integers or echo"},
        {{"--log-level", "verbose"},
         "invalid value 'verbose' for --log-level: expected debug, info, warn or error"},
        {{"--log-level="}, "invalid value '' for --log-level: expected debug, info, warn or error"},
        // unknown flags and stray words
        {{"--bogus"}, "unknown flag '--bogus' (see --help)"},
        {{"--bogus=1"}, "unknown flag '--bogus=1' (see --help)"},
        {{"-p", "80"}, "unknown flag '-p' (see --help)"},
        {{"serve"}, "unknown flag 'serve' (see --help)"},
        {{"--port", "80", "extra"}, "unknown flag 'extra' (see --help)"},
        // the first error wins, later flags are not looked at
        {{"--port", "x", "--help"}, "invalid value 'x' for --port: expected a port from 0 to 65535"},
    }));
    INFO("args: " << joined(row.args));
    const auto o = parse_args(row.args, std::nullopt, 4);
    REQUIRE(o.what == action::error);
    CHECK(o.message == row.message);
    CHECK(o.message.find('\n') == std::string::npos);
}

TEST_CASE("parse_args: --help and --version stop parsing", "[config]") {
    using args_t = std::vector<std::string>;
    SECTION("help") {
        const auto a = GENERATE(values<args_t>({{"--help"}, {"-h"}, {"--port", "1", "--help"}, {"--help", "--bogus"}}));
        INFO("args: " << joined(a));
        CHECK(parse_args(a, std::nullopt, 1).what == action::help);
    }
    SECTION("version") {
        const auto a = GENERATE(values<args_t>({{"--version"}, {"--version", "--bogus"}, {"--app", "echo", "--version"}}));
        INFO("args: " << joined(a));
        CHECK(parse_args(a, std::nullopt, 1).what == action::version);
    }
}

TEST_CASE("help_text mentions every flag", "[config]") {
    const std::string h = help_text();
    const std::string flag = GENERATE(as<std::string>{}, "--address", "--port", "--threads", "--app", "--tick-ms",
                                      "--ping-interval-ms", "--ping-timeout-ms", "--connect-timeout-ms",
                                      "--max-payload", "--send-queue-limit", "--log-level", "--static-dir",
                                      "--client-dist", "--send-queue-bytes", "--max-messages-per-second",
                                      "--binary-timeout-ms", "--max-attachments", "--max-json-depth",
                                      "--max-body-bytes", "--max-pending-acks", "--max-rooms-per-socket",
                                      "--max-namespaces", "--max-dynamic-namespaces", "--max-dynamic-name-bytes",
                                      "--recovery-window-ms", "--recovery-max-packets", "--recovery-max-bytes",
                                      "--recovery-max-sessions", "--redis", "--redis-adapter", "--redis-stream-maxlen", "--redis-key",
                                      "--redis-timeout-ms", "--redis-reconnect-max-ms", "--redis-ca-file",
                                      "--cluster-lease-ms",
                                      "--max-room-name-bytes", "--max-plain-message-bytes",
                                      "--max-connections", "--handshake-timeout-ms",
                                      "--close-timeout-ms", "--max-header-bytes", "--allowed-origins",
                                      "--auth-token", "--tls-cert", "--tls-key", "--help", "--version", "PORT",
                                      "BEASTIO_AUTH_TOKEN");
    INFO("flag " << flag);
    CHECK(h.find(flag) != std::string::npos);
}

TEST_CASE("parse_args: BEASTIO_AUTH_TOKEN sets the token, --auth-token wins", "[config]") {
    beastio::server::environment env;
    env.auth_token = "from-env";
    SECTION("variable alone") {
        const auto o = parse_args({}, env, 1);
        REQUIRE(o.what == action::run);
        CHECK(o.cfg.auth_token == "from-env");
    }
    SECTION("flag wins") {
        const auto o = parse_args({"--auth-token", "from-flag"}, env, 1);
        REQUIRE(o.what == action::run);
        CHECK(o.cfg.auth_token == "from-flag");
    }
    SECTION("unset: no token") {
        const auto o = parse_args({}, beastio::server::environment{}, 1);
        REQUIRE(o.what == action::run);
        CHECK(o.cfg.auth_token.empty());
    }
}

TEST_CASE("help_text: every line fits 100 columns", "[config]") {
    const std::string h = help_text();
    std::size_t start = 0;
    while (start < h.size()) {
        const auto nl = h.find('\n', start);
        const auto line = h.substr(start, nl - start);
        INFO(line);
        CHECK(line.size() <= 100);
        if (nl == std::string::npos) break;
        start = nl + 1;
    }
}
