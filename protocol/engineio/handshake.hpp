// The Engine.IO handshake request: query parsing, the checks the reference
// server makes (in its order) and the error table with its JSON body.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace beastio::eio {

// The query string of a request, decoded. Every parameter is kept, in order,
// repeated keys included. Decoding follows Node's querystring: '+' is a space,
// %XX is a byte, an invalid escape ("%zz", "%4") stays as written, a key
// without '=' has an empty value, empty pieces ("a=1&&b=2") are skipped.
class query {
public:
    using param = std::pair<std::string, std::string>;

    query() = default;
    explicit query(std::vector<param> params) : params_(std::move(params)) {}

    const std::vector<param>& params() const { return params_; }

    // Number of times key occurs.
    std::size_t count(std::string_view key) const;
    // The value when key occurs exactly once; nullopt when absent or repeated
    // (the reference sees a repeated key as an array, which never equals "4"
    // or "websocket").
    std::optional<std::string_view> single(std::string_view key) const;
    bool has(std::string_view key) const { return count(key) > 0; }

private:
    std::vector<param> params_;
};

// raw is the part after '?', without the '#fragment'. Never fails.
query parse_query(std::string_view raw);

// Percent-decodes one component as described above.
std::string percent_decode(std::string_view s, bool plus_is_space = true);

// The reference server's error table (engine.io Server.errors).
enum class handshake_error : int {
    unknown_transport = 0,
    unknown_sid = 1,
    bad_handshake_method = 2,
    bad_request = 3,
    forbidden = 4,
    unsupported_protocol_version = 5,
};

// "Transport unknown", "Session ID unknown", "Bad handshake method",
// "Bad request", "Forbidden", "Unsupported protocol version".
std::string_view message(handshake_error e);

// {"code":0,"message":"Transport unknown"} and, when hint is not empty,
// a third field "hint" with that sentence. code is a JSON number.
std::string error_body(handshake_error e, std::string_view hint = {});

// The sentence beastio adds to the transport refusal.
inline constexpr std::string_view websocket_only_hint =
    "This server accepts only the websocket transport (HTTP long-polling is not supported); "
    "configure the Socket.IO client with transports: [\"websocket\"].";

// What the client asks for, once the checks pass.
struct handshake {
    bool base64 = false;  // b64 present and non-empty: send binary as "b<base64>" text
};

struct handshake_request {
    std::string_view method;     // "GET", "POST", ...
    bool websocket_upgrade = false;  // a valid WebSocket upgrade request
    const query* q = nullptr;
};

// The reference server's order: transport (must be exactly "websocket") ->
// sid (any sid is unknown: beastio never takes a session over) -> method GET ->
// valid upgrade -> EIO == "4". Returns the first failing check.
std::optional<handshake_error> check_handshake(const handshake_request& r);

// Reads the options of a request that passed check_handshake.
handshake read_handshake(const query& q);

}  // namespace beastio::eio
