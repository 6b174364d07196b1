#include "server/core/redis_url.hpp"

#include <charconv>
#include <fmt/format.h>

namespace beastio::redis {
namespace {

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// %XX escapes (a password may hold any byte); false on a bad escape.
bool percent_decode(std::string_view in, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        if (i + 2 >= in.size()) return false;
        const int h = hex(in[i + 1]), l = hex(in[i + 2]);
        if (h < 0 || l < 0) return false;
        out.push_back(static_cast<char>(h * 16 + l));
        i += 2;
    }
    return true;
}

template <class T>
bool parse_number(std::string_view s, T& out, T max) {
    if (s.empty()) return false;
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || v > max) return false;
    out = static_cast<T>(v);
    return true;
}

}  // namespace

std::string url::redacted() const {
    std::string auth;
    if (!username.empty() || !password.empty()) auth = fmt::format("{}{}@", username, password.empty() ? "" : ":***");
    const bool v6 = host.find(':') != std::string::npos;
    return fmt::format("{}://{}{}{}{}:{}{}", tls ? "rediss" : "redis", auth, v6 ? "[" : "", host, v6 ? "]" : "", port,
                       db ? fmt::format("/{}", db) : "");
}

std::optional<url> parse_url(std::string_view text, std::string* error) {
    auto fail = [&](std::string why) -> std::optional<url> {
        if (error) *error = std::move(why);
        return std::nullopt;
    };
    url u;
    if (text.starts_with("redis://")) {
        text.remove_prefix(8);
    } else if (text.starts_with("rediss://")) {
        u.tls = true;
        text.remove_prefix(9);
    } else {
        return fail("expected redis://host[:port][/db] or rediss://... (TLS)");
    }
    if (text.find_first_of("?#") != std::string_view::npos)
        return fail("query strings and fragments are not supported in the Redis URL");

    std::string_view authority = text.substr(0, text.find('/'));
    std::string_view path = authority.size() < text.size() ? text.substr(authority.size() + 1) : std::string_view{};

    // The last '@' ends the credentials (a password may contain '@' when escaped, or not).
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const auto creds = authority.substr(0, at);
        authority.remove_prefix(at + 1);
        const auto colon = creds.find(':');
        const auto user = creds.substr(0, colon);
        if (!percent_decode(user, u.username)) return fail("bad %-escape in the Redis URL's user name");
        if (colon != std::string_view::npos && !percent_decode(creds.substr(colon + 1), u.password))
            return fail("bad %-escape in the Redis URL's password");
        if (colon == std::string_view::npos) {
            // redis://secret@host: a lone credential is the password, as redis-cli -u reads it.
            u.password = std::move(u.username);
            u.username.clear();
        }
    }

    std::string_view port;
    if (authority.starts_with("[")) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return fail("unterminated [IPv6] host in the Redis URL");
        u.host = std::string(authority.substr(1, close - 1));
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return fail("unexpected text after the [IPv6] host in the Redis URL");
            port = rest.substr(1);
            if (port.empty()) return fail("empty port in the Redis URL");
        }
    } else {
        const auto colon = authority.rfind(':');
        u.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty()) return fail("empty port in the Redis URL");
        }
    }
    if (u.host.empty()) return fail("the Redis URL has no host");
    if (!port.empty() && (!parse_number<std::uint16_t>(port, u.port, 65535) || u.port == 0))
        return fail(fmt::format("invalid port '{}' in the Redis URL: expected 1 to 65535", port));
    if (!path.empty() && !parse_number<unsigned>(path, u.db, 15))
        return fail(fmt::format("invalid database '{}' in the Redis URL: expected 0 to 15", path));
    return u;
}

}  // namespace beastio::redis
