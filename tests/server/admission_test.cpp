// Origin check, plain-stream token, constant-time comparison, and the safe
// display of request text in bodies and logs.
#include "server/http/admission.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace beastio::server;

TEST_CASE("check_origin: empty list allows all, otherwise exact and case-insensitive, no Origin passes", "[admission]") {
    const std::vector<std::string> none;
    CHECK_FALSE(check_origin(none, std::string_view("https://evil.example")));
    CHECK_FALSE(check_origin(none, std::nullopt));

    const std::vector<std::string> allowed = {"https://app.example", "http://localhost:3000"};
    struct row {
        std::optional<std::string> origin;
        bool ok;
    };
    const std::vector<row> rows = {
        {std::nullopt, true},                    // curl, python, node: no Origin
        {"https://app.example", true},
        {"HTTPS://APP.EXAMPLE", true},
        {"http://localhost:3000", true},
        {"http://localhost:3001", false},
        {"https://app.example.evil.example", false},
        {"https://evil.example", false},
        {"http://app.example", false},           // another scheme is another origin
        {"null", false},                         // sandboxed frames and file:// pages
        {"", false},
        {"https://app.example/", false},
    };
    for (const auto& r : rows) {
        INFO("Origin " << (r.origin ? *r.origin : "(none)"));
        std::optional<std::string_view> o;
        if (r.origin) o = *r.origin;
        const auto refused = check_origin(allowed, o);
        CHECK(refused.has_value() == !r.ok);
        if (refused) {
            CHECK(refused->status == 403);
            CHECK(refused->body.find("--allowed-origins") != std::string::npos);
            CHECK(refused->body.back() == '\n');
        }
    }
}

TEST_CASE("check_origin: the refused origin is shown escaped, never raw", "[admission]") {
    const std::vector<std::string> allowed = {"https://app.example"};
    const auto r = check_origin(allowed, std::string_view("https://x<script>\x01\xff"));
    REQUIRE(r.has_value());
    CHECK(r->body.find('\x01') == std::string::npos);
    CHECK(r->body.find('\xff') == std::string::npos);
    CHECK(r->body.find("\\x01\\xff") != std::string::npos);
}

TEST_CASE("check_plain_token: ?token= or Authorization: Bearer, else 401", "[admission]") {
    CHECK_FALSE(check_plain_token("", "", ""));  // no token configured: everyone
    struct row {
        std::string query;
        std::string authorization;
        bool ok;
        std::string why;
    };
    const std::vector<row> rows = {
        {"token=s3cret", "", true, ""},
        {"a=1&token=s3cret&b=2", "", true, ""},
        {"token=s3%63ret", "", true, ""},  // percent-decoded like every query parameter
        {"", "Bearer s3cret", true, ""},
        {"", "bearer s3cret", true, ""},
        {"token=wrong", "", false, "invalid token"},
        {"token=", "", false, "invalid token"},
        {"token=s3cret&token=s3cret", "", false, "no token"},  // repeated: ambiguous, refused
        {"", "Bearer wrong", false, "invalid token"},
        {"", "Basic czNjcmV0", false, "no token"},
        {"", "Bearer", false, "no token"},
        {"", "", false, "no token"},
        {"token=s3cretx", "", false, "invalid token"},
        {"token=s3cre", "", false, "invalid token"},
    };
    for (const auto& r : rows) {
        INFO("query '" << r.query << "' authorization '" << r.authorization << "'");
        const auto refused = check_plain_token("s3cret", r.query, r.authorization);
        CHECK(refused.has_value() == !r.ok);
        if (refused) {
            CHECK(refused->status == 401);
            CHECK(refused->www_authenticate);
            CHECK(refused->reason == r.why);
            CHECK(refused->body.find("s3cret") == std::string::npos);
        }
    }
}

TEST_CASE("token_equal: equal only for the same bytes", "[admission]") {
    CHECK(token_equal("abc", "abc"));
    CHECK(token_equal("", ""));
    CHECK_FALSE(token_equal("abc", "abd"));
    CHECK_FALSE(token_equal("abc", "ab"));
    CHECK_FALSE(token_equal("abc", "abcd"));
    CHECK_FALSE(token_equal("abc", ""));
    CHECK(token_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
    CHECK_FALSE(token_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST_CASE("shown: printable ASCII kept, everything else escaped, bounded", "[admission]") {
    CHECK(shown("/_ws/chat?x=1") == "/_ws/chat?x=1");
    CHECK(shown("a\nb\r\x7f") == "a\\x0ab\\x0d\\x7f");
    CHECK(shown("caf\xc3\xa9") == "caf\\xc3\\xa9");
    CHECK(shown("back\\slash") == "back\\x5cslash");
    CHECK(shown("a\" forged=\"1") == "a\\x22 forged=\\x221");  // a log field cannot be forged
    CHECK(shown(std::string(1000, 'a'), 10) == std::string(10, 'a') + "...");
    CHECK(shown(std::string(10, 'a'), 10) == std::string(10, 'a'));
    // An escape never straddles the cut (found by fuzz_router).
    CHECK(shown(std::string(9, 'a') + "\x01", 10) == std::string(9, 'a') + "...");
    CHECK(shown(std::string(199, 'a') + std::string(50, '\x01')).size() == 202);
}

TEST_CASE("redact_target: token values never reach the log", "[admission]") {
    CHECK(redact_target("/_ws/?token=s3cret") == "/_ws/?token=***");
    CHECK(redact_target("/_ws/?a=1&token=s3cret&b=2") == "/_ws/?a=1&token=***&b=2");
    CHECK(redact_target("/_ws/?to%6Ben=s3cret") == "/_ws/?to%6Ben=***");
    CHECK(redact_target("/_ws/?tokens=kept") == "/_ws/?tokens=kept");
    CHECK(redact_target("/_ws/") == "/_ws/");
    CHECK(redact_target("/socket.io/?EIO=4&transport=websocket") == "/socket.io/?EIO=4&transport=websocket");
}
