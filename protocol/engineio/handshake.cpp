#include "protocol/engineio/handshake.hpp"

#include "protocol/json_string.hpp"

#include <algorithm>
#include <string>

namespace beastio::eio {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::size_t query::count(std::string_view key) const {
    return static_cast<std::size_t>(
        std::count_if(params_.begin(), params_.end(), [key](const param& p) { return p.first == key; }));
}

std::optional<std::string_view> query::single(std::string_view key) const {
    std::optional<std::string_view> found;
    for (const auto& p : params_) {
        if (p.first != key) continue;
        if (found) return std::nullopt;  // repeated
        found = std::string_view(p.second);
    }
    return found;
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
    const bool has_escape = s.find('%') != std::string_view::npos;
    const bool has_plus = plus_is_space && s.find('+') != std::string_view::npos;
    if (!has_escape && !has_plus) return std::string(s);

    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
            i += 2;
        } else {
            out.push_back(c);  // includes an invalid or truncated escape, kept as written
        }
    }
    return out;
}

query parse_query(std::string_view raw) {
    std::vector<query::param> params;
    params.reserve(static_cast<std::size_t>(std::count(raw.begin(), raw.end(), '&')) + 1);
    std::size_t start = 0;
    while (start <= raw.size()) {
        std::size_t end = raw.find('&', start);
        if (end == std::string_view::npos) end = raw.size();
        const std::string_view piece = raw.substr(start, end - start);
        if (!piece.empty()) {
            const std::size_t eq = piece.find('=');
            if (eq == std::string_view::npos) {
                params.emplace_back(percent_decode(piece), std::string());
            } else {
                params.emplace_back(percent_decode(piece.substr(0, eq)), percent_decode(piece.substr(eq + 1)));
            }
        }
        start = end + 1;
    }
    return query(std::move(params));
}

std::string_view message(handshake_error e) {
    switch (e) {
        case handshake_error::unknown_transport: return "Transport unknown";
        case handshake_error::unknown_sid: return "Session ID unknown";
        case handshake_error::bad_handshake_method: return "Bad handshake method";
        case handshake_error::bad_request: return "Bad request";
        case handshake_error::forbidden: return "Forbidden";
        case handshake_error::unsupported_protocol_version: return "Unsupported protocol version";
    }
    return "Bad request";  // not a table value; never produced by this layer
}

std::string error_body(handshake_error e, std::string_view hint) {
    const std::string_view msg = message(e);
    std::string out;
    out.reserve(32 + msg.size() + (hint.empty() ? 0 : hint.size() + 12));
    out += "{\"code\":";
    out += std::to_string(static_cast<int>(e));
    out += ",\"message\":";
    json::write_string(msg, out);
    if (!hint.empty()) {
        out += ",\"hint\":";
        json::write_string(hint, out);
    }
    out.push_back('}');
    return out;
}

std::optional<handshake_error> check_handshake(const handshake_request& r) {
    static const query empty_query;
    const query& q = r.q != nullptr ? *r.q : empty_query;

    if (q.single("transport") != std::optional<std::string_view>("websocket")) {
        return handshake_error::unknown_transport;
    }
    if (q.has("sid")) return handshake_error::unknown_sid;
    if (r.method != "GET") return handshake_error::bad_handshake_method;
    if (!r.websocket_upgrade) return handshake_error::bad_request;
    if (q.single("EIO") != std::optional<std::string_view>("4")) {
        return handshake_error::unsupported_protocol_version;
    }
    return std::nullopt;
}

handshake read_handshake(const query& q) {
    handshake h;
    const auto b64 = q.single("b64");
    h.base64 = b64.has_value() && !b64->empty();
    return h;
}

}  // namespace beastio::eio
