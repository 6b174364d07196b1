// The definitions of http_session<Stream>, included by the two files that
// instantiate it (http_session_tcp.cpp, http_session_tls.cpp).
#pragma once

#include "server/http/http_session.hpp"

#include "server/http/admission.hpp"
#include "server/core/log.hpp"
#include "server/http/static_files.hpp"
#include "server/websocket/ws_session.hpp"

#include <boost/beast/ssl.hpp>

#include <chrono>

namespace beastio::server {
namespace http_detail {

std::string peer_of(const tcp::socket& s);

inline bool header_has_token(std::string_view value, std::string_view token) {
    return http::token_list(value).exists(token);
}

inline std::chrono::milliseconds handshake_timeout(const context& ctx) {
    return std::chrono::milliseconds(ctx.cfg.handshake_timeout_ms);
}

// Refusals that a flood could repeat thousands of times a second are logged
// at most once per interval (for both kinds of stream), with the count of
// those left out.
log::throttle& capacity_log();

}  // namespace http_detail

using http_detail::capacity_log;
using http_detail::handshake_timeout;
using http_detail::header_has_token;
using http_detail::peer_of;

template <class Stream>
http_session<Stream>::http_session(Stream&& stream, context& ctx, beast::flat_buffer buffer)
    : stream_(std::move(stream)),
      buffer_(std::move(buffer)),
      ctx_(ctx),
      peer_(peer_of(beast::get_lowest_layer(stream_).socket())) {}

template <class Stream>
void http_session<Stream>::run() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&http_session::do_read, shared_from_this()));
}

template <class Stream>
void http_session<Stream>::do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(ctx_.cfg.max_header_bytes));
    parser_->body_limit(ctx_.cfg.max_body_bytes);
    // One deadline for the whole request (a slow sender cannot stretch it byte
    // by byte), and for the idle wait between keep-alive requests.
    beast::get_lowest_layer(stream_).expires_after(handshake_timeout(ctx_));
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

template <class Stream>
void http_session<Stream>::on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return shutdown();
    if (ec == http::error::body_limit) {
        log::info("refused peer={}: request body over {} bytes", peer_, ctx_.cfg.max_body_bytes);
        return send_simple(413, "text/plain; charset=utf-8",
                           fmt::format("request body too large (at most {} bytes)\n", ctx_.cfg.max_body_bytes), false,
                           false);
    }
    if (ec == http::error::header_limit) {
        log::info("refused peer={}: request header over {} bytes", peer_, ctx_.cfg.max_header_bytes);
        return send_simple(431, "text/plain; charset=utf-8",
                           fmt::format("request header fields too large (at most {} bytes)\n", ctx_.cfg.max_header_bytes),
                           false, false);
    }
    if (ec == beast::error::timeout) {
        log::debug("dropped peer={}: no complete request within {} ms", peer_, ctx_.cfg.handshake_timeout_ms);
        beast::get_lowest_layer(stream_).close();
        return;
    }
    if (ec) {
        if (ec != net::error::operation_aborted && ec != net::error::connection_reset)
            log::info("bad http request peer={}: {}", peer_, ec.message());
        if (ec != net::error::operation_aborted &&
            ec.category() == http::make_error_code(http::error::end_of_stream).category())
            return send_simple(400, "text/plain; charset=utf-8", "malformed HTTP request: " + ec.message() + "\n",
                               false, false);
        beast::get_lowest_layer(stream_).close();
        return;
    }
    answer(parser_->release());
}

template <class Stream>
void http_session<Stream>::answer(http::request<http::string_body>&& req) {
    const bool upgrade_requested = header_has_token(req[http::field::upgrade], "websocket");
    const bool valid_upgrade = websocket::is_upgrade(req) && !req[http::field::sec_websocket_key].empty() &&
                               req[http::field::sec_websocket_version] == "13";
    request_info info;
    info.method = req.method_string();
    info.target = req.target();
    info.upgrade_requested = upgrade_requested;
    info.valid_websocket_upgrade = valid_upgrade;
    const route r = decide(info);

    switch (r.kind) {
        case route_kind::healthcheck:
            return send_simple(200, "text/plain; charset=utf-8", "ok", req.keep_alive(), req.method() == http::verb::head);
        case route_kind::status:
            return send_simple(200, "application/json", ctx_.status_json(), req.keep_alive(),
                               req.method() == http::verb::head);
        case route_kind::plain_stream:
        case route_kind::engineio:
            return upgrade(std::move(req), r);
        case route_kind::client_bundle:
            return send_file(req, ctx_.client_dist, r.file, false);
        case route_kind::static_file:
            return send_file(req, ctx_.static_dir, r.file, true);
        case route_kind::refuse:
            log::info("refused peer={} {} {}: {} -> {}", peer_, shown(req.method_string(), 40),
                      shown(redact_target(req.target()), 300), r.reason, r.status);
            return send_text(req, r);
    }
}

template <class Stream>
void http_session<Stream>::upgrade(http::request<http::string_body>&& req, const route& r) {
    const auto target = shown(redact_target(req.target()), 300);
    auto refuse = [&](unsigned status, std::string body, std::string_view reason, response_options opts = {}) {
        log::info("refused peer={} target={}: {} -> {}", peer_, target, reason, status);
        send_simple(status, "text/plain; charset=utf-8", std::move(body), false, false, req.version(), opts);
    };
    if (ctx_.shutting_down.load()) {
        return refuse(503, "server shutting down, reconnect shortly\n", "server shutting down", {.retry_after_s = 1});
    }
    std::optional<std::string_view> origin;
    if (auto it = req.find(http::field::origin); it != req.end()) origin = it->value();
    if (auto no = check_origin(ctx_.cfg.allowed_origins, origin)) return refuse(no->status, no->body, no->reason);
    if (r.kind == route_kind::plain_stream) {
        const auto query = split_target(req.target()).second;
        if (auto no = check_plain_token(ctx_.cfg.auth_token, query, req[http::field::authorization]))
            return refuse(no->status, no->body, no->reason, {.www_authenticate = no->www_authenticate});
    }
    auto slot = connection_slot::acquire(ctx_.websocket_connections, ctx_.max_connections);
    if (!slot) {
        std::uint64_t left_out = 0;
        if (capacity_log().allow(std::chrono::steady_clock::now(), &left_out))
            log::warn("refused peer={}: at the WebSocket connection limit ({}, --max-connections); "
                      "{} more refused since the last such line",
                      peer_, ctx_.max_connections, left_out);
        return send_simple(503, "text/plain; charset=utf-8",
                           fmt::format("server at its WebSocket connection limit ({}); retry shortly\n",
                                       ctx_.max_connections),
                           false, false, req.version(), {.retry_after_s = 5});
    }

    beast::get_lowest_layer(stream_).expires_never();
    using session = ws_session<Stream>;
    const auto m = r.kind == route_kind::plain_stream ? session::mode::plain : session::mode::engine;
    auto peer = peer_;
    if (auto xff = req["X-Forwarded-For"]; !xff.empty()) peer += fmt::format(" xff={}", shown(xff));
    peer += fmt::format(" path={}", shown(req.target().substr(0, req.target().find('?'))));
    std::make_shared<session>(std::move(stream_), ctx_, std::move(*slot), m, r.handshake, std::move(peer))
        ->start(std::move(req));
}

template <class Stream>
void http_session<Stream>::send_text(const http::request<http::string_body>& req, const route& r) {
    // An upgrade refusal ends the connection, as the reference server does.
    const bool keep_alive = req.keep_alive() && !header_has_token(req[http::field::upgrade], "websocket");
    send_simple(r.status, r.content_type, r.body, keep_alive, req.method() == http::verb::head, req.version(),
                {.allow_get_head = r.allow_get_head});
}

template <class Stream>
void http_session<Stream>::send_simple(unsigned status, std::string content_type, std::string body, bool keep_alive,
                                       bool head, unsigned version, response_options opts) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), version);
    res->set(http::field::server, "beastio");
    res->set(http::field::content_type, content_type);
    // Bodies may quote the request (a path, an origin); they are text, never to be sniffed as HTML.
    res->set("X-Content-Type-Options", "nosniff");
    if (opts.allow_get_head) res->set(http::field::allow, "GET, HEAD");
    if (opts.www_authenticate) res->set(http::field::www_authenticate, "Bearer");
    if (opts.retry_after_s) res->set(http::field::retry_after, std::to_string(opts.retry_after_s));
    res->keep_alive(keep_alive);
    if (head) {
        res->content_length(body.size());
    } else {
        res->body() = std::move(body);
        res->prepare_payload();
    }
    write(std::move(res));
}

template <class Stream>
void http_session<Stream>::send_file(const http::request<http::string_body>& req, const std::string& root,
                                     const std::string& rel, bool spa_index) {
    auto missing = [&](bool forbidden) {
        route r;
        r.status = forbidden ? 403 : 404;
        r.content_type = "text/plain; charset=utf-8";
        r.body = forbidden ? "forbidden\n" : "not found\n";
        send_text(req, r);
    };
    auto found = open_static_file(root, rel, spa_index);
    if (!found) {
        log::info("not found peer={} {}: {}", peer_, shown(redact_target(req.target()), 300),
                  shown(found.error().message, 300));
        return missing(found.error().code == static_error::forbidden);
    }
    auto res = std::make_shared<http::response<http::file_body>>(http::status::ok, req.version());
    res->set(http::field::server, "beastio");
    res->set(http::field::content_type, found->content_type);
    res->set(http::field::cache_control, "no-cache");
    res->set("X-Content-Type-Options", "nosniff");
    res->keep_alive(req.keep_alive());
    beast::error_code ec;
    res->body().open(found->path.c_str(), beast::file_mode::scan, ec);
    if (ec) return missing(false);
    res->prepare_payload();
    if (req.method() == http::verb::head) {
        // Keep the length header, send no body.
        const auto size = res->body().size();
        auto head = std::make_shared<http::response<http::empty_body>>(http::status::ok, req.version());
        head->set(http::field::server, "beastio");
        head->set(http::field::content_type, found->content_type);
        head->content_length(size);
        head->keep_alive(req.keep_alive());
        return write(std::move(head));
    }
    write(std::move(res));
}

template <class Stream>
template <class Response>
void http_session<Stream>::write(Response&& res) {
    const bool keep_alive = res->keep_alive();
    auto& ref = *res;
    response_ = std::move(res);
    beast::get_lowest_layer(stream_).expires_after(handshake_timeout(ctx_));
    http::async_write(stream_, ref,
                      beast::bind_front_handler(&http_session::on_write, shared_from_this(), keep_alive));
}

template <class Stream>
void http_session<Stream>::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    response_.reset();
    if (ec) {
        beast::get_lowest_layer(stream_).close();
        return;
    }
    if (!keep_alive || ctx_.shutting_down.load()) return shutdown();
    do_read();
}

template <class Stream>
void http_session<Stream>::shutdown() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.close();
    } else {
        // TLS: send close_notify, bounded by the handshake timeout.
        beast::get_lowest_layer(stream_).expires_after(handshake_timeout(ctx_));
        stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
            beast::get_lowest_layer(self->stream_).close();
        });
    }
}

}  // namespace beastio::server
