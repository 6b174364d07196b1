// --redis URLs: every form Redis clients accept that beastio supports, and a
// clear reason for the rest.
#include "server/core/redis_url.hpp"

#include <catch2/catch.hpp>

using beastio::redis::parse_url;

TEST_CASE("redis URLs: host, port, database, credentials, TLS", "[redis]") {
    struct row {
        const char* text;
        bool tls;
        const char* host;
        unsigned port;
        const char* user;
        const char* password;
        unsigned db;
        const char* redacted;
    };
    const row rows[] = {
        {"redis://localhost", false, "localhost", 6379, "", "", 0, "redis://localhost:6379"},
        {"redis://127.0.0.1:6380", false, "127.0.0.1", 6380, "", "", 0, "redis://127.0.0.1:6380"},
        {"redis://h:1/15", false, "h", 1, "", "", 15, "redis://h:1/15"},
        {"redis://h/", false, "h", 6379, "", "", 0, "redis://h:6379"},
        {"redis://:s3cret@h", false, "h", 6379, "", "s3cret", 0, "redis://:***@h:6379"},
        {"redis://s3cret@h", false, "h", 6379, "", "s3cret", 0, "redis://:***@h:6379"},
        {"redis://app:p%40ss%3A@h:7000/3", false, "h", 7000, "app", "p@ss:", 3, "redis://app:***@h:7000/3"},
        {"redis://app:p@ss@h", false, "h", 6379, "app", "p@ss", 0, "redis://app:***@h:6379"},
        {"rediss://cache.example:6380", true, "cache.example", 6380, "", "", 0, "rediss://cache.example:6380"},
        {"redis://[::1]:6390", false, "::1", 6390, "", "", 0, "redis://[::1]:6390"},
        {"redis://[::1]", false, "::1", 6379, "", "", 0, "redis://[::1]:6379"},
    };
    for (const auto& r : rows) {
        INFO(r.text);
        std::string why;
        const auto u = parse_url(r.text, &why);
        REQUIRE(u);
        CHECK(u->tls == r.tls);
        CHECK(u->host == r.host);
        CHECK(u->port == r.port);
        CHECK(u->username == r.user);
        CHECK(u->password == r.password);
        CHECK(u->db == r.db);
        CHECK(u->redacted() == r.redacted);
    }
}

TEST_CASE("redis URLs that are refused say why", "[redis]") {
    struct row {
        const char* text;
        const char* why;
    };
    const row rows[] = {
        {"localhost:6379", "expected redis://host[:port][/db] or rediss://... (TLS)"},
        {"http://h", "expected redis://host[:port][/db] or rediss://... (TLS)"},
        {"redis://", "the Redis URL has no host"},
        {"redis://:6379", "the Redis URL has no host"},
        {"redis://h:", "empty port in the Redis URL"},
        {"redis://h:65536", "invalid port '65536' in the Redis URL: expected 1 to 65535"},
        {"redis://h:x", "invalid port 'x' in the Redis URL: expected 1 to 65535"},
        {"redis://h/16", "invalid database '16' in the Redis URL: expected 0 to 15"},
        {"redis://h/a", "invalid database 'a' in the Redis URL: expected 0 to 15"},
        {"redis://h?db=1", "query strings and fragments are not supported in the Redis URL"},
        {"redis://u:%zz@h", "bad %-escape in the Redis URL's password"},
        {"redis://%4@h", "bad %-escape in the Redis URL's user name"},
        {"redis://[::1", "unterminated [IPv6] host in the Redis URL"},
        {"redis://[::1]x", "unexpected text after the [IPv6] host in the Redis URL"},
    };
    for (const auto& r : rows) {
        INFO(r.text);
        std::string why;
        CHECK_FALSE(parse_url(r.text, &why));
        CHECK(why == r.why);
    }
}
