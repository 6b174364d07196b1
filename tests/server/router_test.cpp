// decide(): every path rule of the router, as rows of (request -> route),
// with the exact status, content type and body of every refusal.
#include "server/http/router.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

using beastio::server::decide;
using beastio::server::request_info;
using beastio::server::route;
using beastio::server::route_kind;
using beastio::server::split_target;

namespace {

const char* kind_name(route_kind k) {
    switch (k) {
        case route_kind::healthcheck: return "healthcheck";
        case route_kind::status: return "status";
        case route_kind::plain_stream: return "plain_stream";
        case route_kind::engineio: return "engineio";
        case route_kind::client_bundle: return "client_bundle";
        case route_kind::static_file: return "static_file";
        case route_kind::refuse: return "refuse";
    }
    return "?";
}

// The ways a request can arrive.
enum class how { plain, upgrade, broken_upgrade };  // broken: Upgrade header, not a valid handshake

request_info req(std::string_view method, std::string_view target, how h) {
    request_info r;
    r.method = method;
    r.target = target;
    r.upgrade_requested = h != how::plain;
    r.valid_websocket_upgrade = h == how::upgrade;
    return r;
}

const char* how_name(how h) {
    switch (h) {
        case how::plain: return "plain";
        case how::upgrade: return "upgrade";
        case how::broken_upgrade: return "broken-upgrade";
    }
    return "?";
}

constexpr std::string_view text_plain = "text/plain; charset=utf-8";

// The exact refusal bodies (written out by hand, not built by the code under test).
constexpr std::string_view code0 =
    R"({"code":0,"message":"Transport unknown","hint":"This server accepts only the websocket transport )"
    R"((HTTP long-polling is not supported); configure the Socket.IO client with transports: [\"websocket\"]."})";
constexpr std::string_view code1 = R"({"code":1,"message":"Session ID unknown"})";
constexpr std::string_view code2 = R"({"code":2,"message":"Bad handshake method"})";
constexpr std::string_view code3 = R"({"code":3,"message":"Bad request"})";
constexpr std::string_view code5 = R"({"code":5,"message":"Unsupported protocol version"})";

std::string not_a_ws_path(std::string_view path) {
    return "WebSocket connections are accepted only on paths beginning with /_ws/ or /socket.io/ (not " +
           std::string(path) + ")\n";
}

}  // namespace

TEST_CASE("split_target splits at '?' and drops the fragment", "[router]") {
    struct row {
        std::string_view target, path, query;
    };
    const auto r = GENERATE(values<row>({
        {"/a?b=1", "/a", "b=1"},
        {"/a", "/a", ""},
        {"/a?", "/a", ""},
        {"/a#frag", "/a", ""},
        {"/a?x=1#frag", "/a", "x=1"},
        {"/a#frag?x=1", "/a", ""},
        {"/a?x?y", "/a", "x?y"},
        {"/?EIO=4&transport=websocket", "/", "EIO=4&transport=websocket"},
        {"", "", ""},
        {"?q", "", "q"},
    }));
    INFO("target " << r.target);
    const auto [path, query] = split_target(r.target);
    CHECK(path == r.path);
    CHECK(query == r.query);
}

TEST_CASE("health check: GET and HEAD answer, other methods get 405 with Allow", "[router]") {
    struct row {
        std::string_view method, target;
        how h;
    };
    SECTION("answered") {
        const auto r = GENERATE(values<row>({
            {"GET", "/cache-healthcheck", how::plain},
            {"HEAD", "/cache-healthcheck", how::plain},
            {"GET", "/cache-healthcheck?", how::plain},
            {"GET", "/cache-healthcheck?probe=1", how::plain},
            {"HEAD", "/cache-healthcheck?x", how::plain},
            {"GET", "/cache-healthcheck", how::upgrade},  // comes before every other rule
        }));
        INFO(r.method << " " << r.target << " " << how_name(r.h));
        const route out = decide(req(r.method, r.target, r.h));
        CHECK(kind_name(out.kind) == std::string("healthcheck"));
        CHECK(out.status == 200);
    }
    SECTION("refused") {
        const auto r = GENERATE(values<row>({
            {"POST", "/cache-healthcheck", how::plain},
            {"PUT", "/cache-healthcheck?x=1", how::plain},
            {"DELETE", "/cache-healthcheck", how::plain},
        }));
        INFO(r.method << " " << r.target);
        const route out = decide(req(r.method, r.target, r.h));
        CHECK(kind_name(out.kind) == std::string("refuse"));
        CHECK(out.status == 405);
        CHECK(out.allow_get_head);
        CHECK(out.content_type == text_plain);
        CHECK(out.body == "method not allowed: /cache-healthcheck answers GET and HEAD\n");
    }
    SECTION("other paths are not the health check") {
        const route out = decide(req("GET", "/cache-healthcheck/", how::plain));
        CHECK(kind_name(out.kind) == std::string("static_file"));
        CHECK(out.file == "/cache-healthcheck/");
    }
}

TEST_CASE("status: GET and HEAD answer, other methods get 405 with Allow, an upgrade is no status", "[router]") {
    struct row {
        std::string_view method, target;
        how h;
        const char* kind;
        unsigned status;
    };
    const auto r = GENERATE(values<row>({
        {"GET", "/status", how::plain, "status", 200},
        {"HEAD", "/status?x=1", how::plain, "status", 200},
        {"POST", "/status", how::plain, "refuse", 405},
        {"GET", "/status", how::upgrade, "refuse", 404},  // upgrades only under /_ws/ and /socket.io/
        {"GET", "/status/", how::plain, "static_file", 200},
    }));
    INFO(r.method << " " << r.target << " " << how_name(r.h));
    const route out = decide(req(r.method, r.target, r.h));
    CHECK(kind_name(out.kind) == std::string(r.kind));
    CHECK(out.status == r.status);
    if (r.status == 405) {
        CHECK(out.allow_get_head);
        CHECK(out.body == "method not allowed: /status answers GET and HEAD\n");
    }
}

TEST_CASE("upgrades under /_ws/ and /socket.io/ without EIO get the plain stream", "[router]") {
    const std::string_view target = GENERATE(as<std::string_view>{}, "/_ws/", "/_ws/liveblog", "/_ws/chat/user/12345",
                                             "/_ws/a/b?x=1", "/socket.io/subscribe/", "/socket.io/", "/socket.io/bar",
                                             "/socket.io/?foo=bar", "/socket.io/socket.io.js",
                                             // Engine.IO parameters mean nothing under /_ws/
                                             "/_ws/?EIO=4&transport=websocket", "/_ws/?EIO=3&transport=polling");
    INFO("target " << target);
    const route out = decide(req("GET", target, how::upgrade));
    CHECK(kind_name(out.kind) == std::string("plain_stream"));
}

TEST_CASE("an upgrade header without a valid handshake on a plain-stream path is a 400", "[router]") {
    const std::string_view target = GENERATE(as<std::string_view>{}, "/_ws/", "/socket.io/bar");
    INFO("target " << target);
    const route out = decide(req("GET", target, how::broken_upgrade));
    CHECK(kind_name(out.kind) == std::string("refuse"));
    CHECK(out.status == 400);
    CHECK(out.content_type == text_plain);
    CHECK(out.body ==
          "invalid WebSocket upgrade request: expected GET with Connection: Upgrade, Upgrade: websocket, "
          "Sec-WebSocket-Key and Sec-WebSocket-Version: 13\n");
}

TEST_CASE("upgrades on any other path are a 404 naming the accepted prefixes", "[router]") {
    struct row {
        std::string_view target, path;
        how h;
    };
    const auto r = GENERATE(values<row>({
        {"/_ws", "/_ws", how::upgrade},
        {"/socket.io", "/socket.io", how::upgrade},
        {"/socket.io?EIO=4&transport=websocket", "/socket.io", how::upgrade},
        {"/liveblog/_ws/", "/liveblog/_ws/", how::upgrade},
        {"/", "/", how::upgrade},
        {"/_wsx/", "/_wsx/", how::upgrade},
        {"/socket.iox/", "/socket.iox/", how::upgrade},
        {"/_WS/", "/_WS/", how::upgrade},
        {"/x?y=/_ws/", "/x", how::broken_upgrade},
    }));
    INFO("target " << r.target << " " << how_name(r.h));
    const route out = decide(req("GET", r.target, r.h));
    CHECK(kind_name(out.kind) == std::string("refuse"));
    CHECK(out.status == 404);
    CHECK(out.content_type == text_plain);
    CHECK(out.body == not_a_ws_path(r.path));
    CHECK(out.body.find("/_ws/") != std::string::npos);
    CHECK(out.body.find("/socket.io/") != std::string::npos);
}

TEST_CASE("a path quoted in a refusal body is escaped, never reflected raw", "[router]") {
    struct row {
        std::string_view target, shown_path;
    };
    const auto r = GENERATE(values<row>({
        {"/<script>alert(1)</script>", "/<script>alert(1)</script>"},  // text/plain + nosniff: harmless as text
        {"/caf\xc3\xa9", "/caf\\xc3\\xa9"},
        {"/a\x01" "b\x7f", "/a\\x01b\\x7f"},
        {"/back\\slash", "/back\\x5cslash"},
    }));
    INFO("target " << r.target);
    const route up = decide(req("GET", r.target, how::upgrade));
    CHECK(up.status == 404);
    CHECK(up.body == not_a_ws_path(r.shown_path));
    const std::string plain_path = "/_ws" + std::string(r.target);
    const route plain = decide(req("GET", plain_path, how::plain));
    CHECK(plain.status == 426);
    CHECK(plain.body.find("/_ws" + std::string(r.shown_path) + " is a WebSocket endpoint") == 0);
    for (char c : up.body + plain.body) {
        const auto u = static_cast<unsigned char>(c);
        CHECK((u == '\n' || (u >= 0x20 && u < 0x7f)));
    }
}

TEST_CASE("Engine.IO upgrades that pass every check", "[router]") {
    struct row {
        std::string_view target;
        bool base64;
    };
    const auto r = GENERATE(values<row>({
        {"/socket.io/?EIO=4&transport=websocket", false},
        {"/socket.io/?transport=websocket&EIO=4", false},
        {"/socket.io/?EIO=4&transport=websocket&t=NxYz&token=abc", false},
        {"/socket.io/chat/?EIO=4&transport=websocket", false},
        {"/socket.io/?EIO=4&transport=websocket&b64=1", true},
        {"/socket.io/?EIO=4&transport=websocket&b64=true", true},
        {"/socket.io/?EIO=4&transport=websocket&b64=", false},
        {"/socket.io/?EIO=4&transport=websocket&b64=1&b64=1", false},  // repeated: no single value
        {"/socket.io/?EIO=%34&transport=web%73ocket", false},           // decoded before comparing
    }));
    INFO("target " << r.target);
    const route out = decide(req("GET", r.target, how::upgrade));
    REQUIRE(kind_name(out.kind) == std::string("engineio"));
    CHECK(out.handshake.base64 == r.base64);
}

namespace {

struct refusal_row {
    std::string_view method;
    std::string_view target;
    how h;
    std::string_view body;
};

}  // namespace

TEST_CASE("Engine.IO refusals: 400 application/json with the exact body, transport checked first", "[router]") {
    const auto r = GENERATE(values<refusal_row>({
        // code 0: transport missing, polling, unknown, wrong case, repeated
        {"GET", "/socket.io/?EIO=4&transport=polling", how::upgrade, code0},
        {"GET", "/socket.io/?EIO=4&transport=polling", how::plain, code0},
        {"POST", "/socket.io/?EIO=4&transport=polling&sid=abc", how::plain, code0},
        {"GET", "/socket.io/?EIO=4", how::upgrade, code0},
        {"GET", "/socket.io/?EIO=4", how::plain, code0},
        {"GET", "/socket.io/?EIO=4&transport=abc", how::upgrade, code0},
        {"GET", "/socket.io/?EIO=4&transport=webtransport", how::upgrade, code0},
        {"GET", "/socket.io/?EIO=4&transport=WebSocket", how::upgrade, code0},
        {"GET", "/socket.io/?EIO=4&transport=polling&transport=websocket", how::upgrade, code0},
        {"GET", "/socket.io/?EIO=4&transport=", how::upgrade, code0},
        {"GET", "/socket.io/", how::plain, code0},
        {"GET", "/socket.io/bar", how::plain, code0},
        // order: transport before EIO, sid and method
        {"GET", "/socket.io/?EIO=3&transport=polling", how::upgrade, code0},
        {"GET", "/socket.io/?EIO=3&transport=polling", how::plain, code0},
        {"PUT", "/socket.io/?EIO=abc&transport=polling&sid=x", how::plain, code0},
        // code 1: any sid
        {"GET", "/socket.io/?EIO=4&transport=websocket&sid=abc", how::upgrade, code1},
        {"GET", "/socket.io/?EIO=4&transport=websocket&sid=", how::upgrade, code1},
        {"GET", "/socket.io/?EIO=3&transport=websocket&sid=abc", how::upgrade, code1},
        {"POST", "/socket.io/?EIO=4&transport=websocket&sid=abc", how::plain, code1},
        // code 2: not GET
        {"POST", "/socket.io/?EIO=4&transport=websocket", how::upgrade, code2},
        {"POST", "/socket.io/?EIO=4&transport=websocket", how::plain, code2},
        {"PUT", "/socket.io/?EIO=3&transport=websocket", how::plain, code2},
        {"HEAD", "/socket.io/?EIO=4&transport=websocket", how::plain, code2},
        {"POST", "/socket.io/socket.io.js?transport=websocket", how::plain, code2},
        // code 3: no valid upgrade
        {"GET", "/socket.io/?EIO=4&transport=websocket", how::plain, code3},
        {"GET", "/socket.io/?EIO=4&transport=websocket", how::broken_upgrade, code3},
        {"GET", "/socket.io/?EIO=3&transport=websocket", how::plain, code3},
        {"GET", "/socket.io/?transport=websocket", how::plain, code3},
        // code 5: EIO not exactly 4
        {"GET", "/socket.io/?EIO=3&transport=websocket", how::upgrade, code5},
        {"GET", "/socket.io/?EIO=5&transport=websocket", how::upgrade, code5},
        {"GET", "/socket.io/?EIO=abc&transport=websocket", how::upgrade, code5},
        {"GET", "/socket.io/?EIO=&transport=websocket", how::upgrade, code5},
        {"GET", "/socket.io/?EIO=04&transport=websocket", how::upgrade, code5},
        {"GET", "/socket.io/?EIO=4&EIO=4&transport=websocket", how::upgrade, code5},
        {"GET", "/socket.io/bar?transport=websocket&EIO=3", how::upgrade, code5},
        // EIO missing but transport given: an Engine.IO request (Node treats it as protocol 3)
        {"GET", "/socket.io/?transport=websocket", how::upgrade, code5},
        {"GET", "/socket.io/bar?transport=websocket&x=1", how::upgrade, code5},
    }));
    INFO(r.method << " " << r.target << " " << how_name(r.h));
    const route out = decide(req(r.method, r.target, r.h));
    REQUIRE(kind_name(out.kind) == std::string("refuse"));
    CHECK(out.status == 400);
    CHECK(out.content_type == "application/json");
    CHECK(out.body == r.body);
    CHECK_FALSE(out.allow_get_head);
}

TEST_CASE("the code 0 hint is the handshake layer's sentence", "[router]") {
    const route out = decide(req("GET", "/socket.io/?EIO=4&transport=polling", how::plain));
    CHECK(out.body.find(std::string(beastio::eio::websocket_only_hint).substr(0, 60)) != std::string::npos);
    CHECK(out.reason == "engine.io handshake refused: code 0 Transport unknown (transport=polling)");
    CHECK(decide(req("GET", "/socket.io/?EIO=4", how::plain)).reason ==
          "engine.io handshake refused: code 0 Transport unknown (transport=(none))");
    CHECK(decide(req("GET", "/socket.io/?transport=a&transport=b", how::plain)).reason ==
          "engine.io handshake refused: code 0 Transport unknown (transport=(repeated))");
}

TEST_CASE("GET and HEAD of the socket.io-client bundle files", "[router]") {
    struct row {
        std::string_view method, target, file;
    };
    const auto r = GENERATE(values<row>({
        {"GET", "/socket.io/socket.io.js", "socket.io.js"},
        {"GET", "/socket.io/socket.io.min.js", "socket.io.min.js"},
        {"GET", "/socket.io/socket.io.min.js.map", "socket.io.min.js.map"},
        {"GET", "/socket.io/socket.io.esm.min.js", "socket.io.esm.min.js"},
        {"GET", "/socket.io/socket.io.esm.min.js.map", "socket.io.esm.min.js.map"},
        {"HEAD", "/socket.io/socket.io.min.js", "socket.io.min.js"},
        {"GET", "/socket.io/socket.io.min.js?v=4.8.1", "socket.io.min.js"},
    }));
    INFO(r.method << " " << r.target);
    const route out = decide(req(r.method, r.target, how::plain));
    REQUIRE(kind_name(out.kind) == std::string("client_bundle"));
    CHECK(out.file == r.file);
}

TEST_CASE("other files under /socket.io/ are Engine.IO requests, not bundle files", "[router]") {
    const std::string_view target = GENERATE(as<std::string_view>{}, "/socket.io/socket.io.msgpack.min.js",
                                             "/socket.io/sub/socket.io.js", "/socket.io/../socket.io.js",
                                             "/socket.io/Socket.io.js");
    INFO("target " << target);
    const route out = decide(req("GET", target, how::plain));
    REQUIRE(kind_name(out.kind) == std::string("refuse"));
    CHECK(out.status == 400);
    CHECK(out.body == code0);
}

TEST_CASE("plain HTTP on the plain-stream path is a 426", "[router]") {
    struct row {
        std::string_view method, target, path;
    };
    const auto r = GENERATE(values<row>({
        {"GET", "/_ws/x", "/_ws/x"},
        {"GET", "/_ws/", "/_ws/"},
        {"POST", "/_ws/liveblog?x=1", "/_ws/liveblog"},
    }));
    INFO(r.method << " " << r.target);
    const route out = decide(req(r.method, r.target, how::plain));
    REQUIRE(kind_name(out.kind) == std::string("refuse"));
    CHECK(out.status == 426);
    CHECK(out.content_type == text_plain);
    CHECK(out.body == std::string(r.path) + " is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)\n");
}

TEST_CASE("GET and HEAD elsewhere are static files with the decoded path", "[router]") {
    struct row {
        std::string_view method, target, file;
    };
    const auto r = GENERATE(values<row>({
        {"GET", "/", "/"},
        {"HEAD", "/", "/"},
        {"GET", "/app.js", "/app.js"},
        {"GET", "/app.js?v=2", "/app.js"},
        {"GET", "/app.js#top", "/app.js"},
        {"GET", "/img/a%20b.png", "/img/a b.png"},
        {"GET", "/a+b.txt", "/a+b.txt"},  // '+' is a space only in queries
        {"GET", "/%2e%2e/etc/passwd", "/../etc/passwd"},
        {"GET", "/a/%2E%2E/%2E%2E/x", "/a/../../x"},
        {"GET", "/bad%zz", "/bad%zz"},
        {"GET", "/_ws", "/_ws"},
        {"GET", "/socket.io", "/socket.io"},
    }));
    INFO(r.method << " " << r.target);
    const route out = decide(req(r.method, r.target, how::plain));
    REQUIRE(kind_name(out.kind) == std::string("static_file"));
    CHECK(out.file == r.file);
}

TEST_CASE("other methods on static paths are a 405 with Allow", "[router]") {
    const std::string_view method = GENERATE(as<std::string_view>{}, "PUT", "POST", "DELETE", "OPTIONS");
    INFO("method " << method);
    const route out = decide(req(method, "/", how::plain));
    REQUIRE(kind_name(out.kind) == std::string("refuse"));
    CHECK(out.status == 405);
    CHECK(out.allow_get_head);
    CHECK(out.content_type == text_plain);
    CHECK(out.body == "method " + std::string(method) + " not allowed\n");
}
