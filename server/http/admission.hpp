// Who may open a WebSocket: the browser origin check (cross-site WebSocket
// hijacking) and the plain stream's token. Pure: no sockets; the router decides the path first.
#pragma once

#include "server/core/log.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beastio::server {

struct refusal {
    unsigned status = 403;
    std::string body;              // text/plain, ends with a newline
    std::string reason;            // for the log line
    bool www_authenticate = false;  // a 401 carries WWW-Authenticate: Bearer
};

// Browsers send Origin on every WebSocket upgrade; other clients usually do
// not. With `allowed` empty every origin is accepted; otherwise an upgrade
// whose Origin is not in the list (ASCII case-insensitive) is refused with
// 403, and one without Origin is accepted.
std::optional<refusal> check_origin(const std::vector<std::string>& allowed, std::optional<std::string_view> origin);

// The plain stream's token: `?token=T` or `Authorization: Bearer T`. With an
// empty expected token everything passes; otherwise a missing or wrong token
// is refused with 401 before any 101.
std::optional<refusal> check_plain_token(std::string_view expected, std::string_view query,
                                         std::string_view authorization);

// Compares a secret in constant time (both sides hashed with SHA-256 first,
// so neither the content nor the length of the expected token leaks).
bool token_equal(std::string_view expected, std::string_view given);

// The request target with the value of every `token` query parameter
// replaced by "***", so secrets never reach the log.
std::string redact_target(std::string_view target);

}  // namespace beastio::server
