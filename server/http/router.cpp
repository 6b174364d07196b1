#include "server/http/router.hpp"

#include "server/http/admission.hpp"

#include <array>
#include <fmt/format.h>

namespace beastio::server {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

route refuse(unsigned status, std::string content_type, std::string body, std::string reason) {
    route r;
    r.kind = route_kind::refuse;
    r.status = status;
    r.content_type = std::move(content_type);
    r.body = std::move(body);
    r.reason = std::move(reason);
    return r;
}

route text(unsigned status, std::string body, std::string reason) {
    return refuse(status, "text/plain; charset=utf-8", std::move(body) + "\n", std::move(reason));
}

constexpr std::string_view paths_sentence =
    "WebSocket connections are accepted only on paths beginning with /_ws/ or /socket.io/";

// The socket.io-client bundle files a page may load, like the reference server's serveClient.
constexpr std::array<std::string_view, 5> bundle_files = {
    "socket.io.js", "socket.io.min.js", "socket.io.min.js.map", "socket.io.esm.min.js", "socket.io.esm.min.js.map"};

route engineio_request(const request_info& r, const eio::query& q) {
    const eio::handshake_request hr{r.method, r.valid_websocket_upgrade, &q};
    if (auto err = eio::check_handshake(hr)) {
        const std::string_view hint =
            *err == eio::handshake_error::unknown_transport ? eio::websocket_only_hint : std::string_view{};
        std::string transport = q.single("transport") ? std::string(*q.single("transport"))
                                                      : (q.has("transport") ? "(repeated)" : "(none)");
        return refuse(400, "application/json", eio::error_body(*err, hint),
                      fmt::format("engine.io handshake refused: code {} {} (transport={})", static_cast<int>(*err),
                                  eio::message(*err), transport));
    }
    route out;
    out.kind = route_kind::engineio;
    out.handshake = eio::read_handshake(q);
    return out;
}

}  // namespace

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
    if (auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
    const auto qm = target.find('?');
    if (qm == std::string_view::npos) return {target, {}};
    return {target.substr(0, qm), target.substr(qm + 1)};
}

route decide(const request_info& r) {
    const auto [path, query_text] = split_target(r.target);
    const bool get_or_head = r.method == "GET" || r.method == "HEAD";

    // The platform's health check comes first and answers fast, whatever else happens.
    if (path == "/cache-healthcheck") {
        if (!get_or_head) {
            route out = text(405, "method not allowed: /cache-healthcheck answers GET and HEAD", "health check with " + std::string(r.method));
            out.allow_get_head = true;
            return out;
        }
        route out;
        out.kind = route_kind::healthcheck;
        return out;
    }

    // What this node knows of itself and of the cluster (JSON), beside the health check.
    if (path == "/status" && !r.upgrade_requested) {
        if (!get_or_head) {
            route out = text(405, "method not allowed: /status answers GET and HEAD", "status with " + std::string(r.method));
            out.allow_get_head = true;
            return out;
        }
        route out;
        out.kind = route_kind::status;
        return out;
    }

    const bool under_plain = starts_with(path, plain_prefix);
    const bool under_engine = starts_with(path, engine_prefix);

    if (r.upgrade_requested) {
        if (!under_plain && !under_engine)
            return text(404, fmt::format("{} (not {})", paths_sentence, shown(path)),
                        "upgrade on a path outside /_ws/ and /socket.io/");
        // EIO or transport marks an Engine.IO client; a bare /socket.io/... upgrade gets the plain stream.
        if (under_engine) {
            const eio::query q = eio::parse_query(query_text);
            if (q.has("EIO") || q.has("transport")) return engineio_request(r, q);
        }
        if (!r.valid_websocket_upgrade)
            return text(400, "invalid WebSocket upgrade request: expected GET with Connection: Upgrade, "
                             "Upgrade: websocket, Sec-WebSocket-Key and Sec-WebSocket-Version: 13",
                        "invalid websocket upgrade");
        route out;
        out.kind = route_kind::plain_stream;
        return out;
    }

    if (under_engine) {
        const std::string_view rest = path.substr(engine_prefix.size());
        if (get_or_head) {
            for (auto f : bundle_files) {
                if (rest == f) {
                    route out;
                    out.kind = route_kind::client_bundle;
                    out.file = std::string(f);
                    return out;
                }
            }
        }
        return engineio_request(r, eio::parse_query(query_text));
    }
    if (under_plain)
        return text(426, fmt::format("{} is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)", shown(path)),
                    "plain HTTP request on the plain stream path");

    if (!get_or_head) {
        route out = text(405, fmt::format("method {} not allowed", shown(r.method)), "method not allowed");
        out.allow_get_head = true;
        return out;
    }
    route out;
    out.kind = route_kind::static_file;
    out.file = eio::percent_decode(path, false);
    return out;
}

}  // namespace beastio::server
