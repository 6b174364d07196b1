// Where Redis is: redis://[[user]:password@]host[:port][/db], or rediss://
// for TLS. Parsing is pure (no I/O) and unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace beastio::redis {

struct url {
    bool tls = false;
    std::string host;
    std::uint16_t port = 6379;
    std::string username;  // empty with a password: AUTH password (the default user)
    std::string password;  // empty: no AUTH
    unsigned db = 0;       // SELECT db when not 0

    // For log lines: the URL without its password.
    std::string redacted() const;
};

// The URL, or nullopt with *error saying why.
std::optional<url> parse_url(std::string_view text, std::string* error);

}  // namespace beastio::redis
