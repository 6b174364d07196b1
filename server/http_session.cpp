#include "server/http_session.hpp"

#include "server/log.hpp"
#include "server/static_files.hpp"
#include "server/ws_session.hpp"

#include <chrono>

namespace beastio::server {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t header_limit = 16 * 1024;
constexpr std::size_t body_limit = 64 * 1024;
constexpr auto read_timeout = 30s;

std::string peer_of(const tcp::socket& s) {
    beast::error_code ec;
    const auto ep = s.remote_endpoint(ec);
    if (ec) return "?";
    return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

bool header_has_token(std::string_view value, std::string_view token) {
    return http::token_list(value).exists(token);
}

}  // namespace

http_session::http_session(tcp::socket&& socket, context& ctx)
    : stream_(std::move(socket)), ctx_(ctx), peer_(peer_of(stream_.socket())) {}

void http_session::run() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&http_session::do_read, shared_from_this()));
}

void http_session::do_read() {
    parser_.emplace();
    parser_->header_limit(header_limit);
    parser_->body_limit(body_limit);
    stream_.expires_after(read_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return shutdown();
    if (ec == http::error::body_limit) {
        log::info("refused peer={}: request body over {} bytes", peer_, body_limit);
        return send_simple(413, "text/plain; charset=utf-8", "request body too large\n", false, false);
    }
    if (ec == http::error::header_limit) {
        log::info("refused peer={}: request header over {} bytes", peer_, header_limit);
        return send_simple(431, "text/plain; charset=utf-8", "request header fields too large\n", false, false);
    }
    if (ec) {
        if (ec != beast::error::timeout && ec != net::error::operation_aborted && ec != net::error::connection_reset)
            log::info("bad http request peer={}: {}", peer_, ec.message());
        if (ec != beast::error::timeout && ec != net::error::operation_aborted && ec.category() == http::make_error_code(http::error::end_of_stream).category())
            return send_simple(400, "text/plain; charset=utf-8", "malformed HTTP request: " + ec.message() + "\n", false, false);
        return shutdown();
    }
    answer(parser_->release());
}

void http_session::answer(http::request<http::string_body>&& req) {
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
        case route_kind::plain_stream:
        case route_kind::engineio: {
            if (ctx_.shutting_down.load()) {
                log::info("refused peer={} target={}: server shutting down", peer_, std::string(req.target()));
                return send_simple(503, "text/plain; charset=utf-8", "server shutting down, reconnect shortly\n", false, false);
            }
            stream_.expires_never();
            const auto m = r.kind == route_kind::plain_stream ? ws_session::mode::plain : ws_session::mode::engine;
            auto peer = peer_;
            if (auto xff = req["X-Forwarded-For"]; !xff.empty()) peer += fmt::format(" xff={}", std::string(xff));
            peer += fmt::format(" path={}", std::string(req.target().substr(0, req.target().find('?'))));
            std::make_shared<ws_session>(stream_.release_socket(), ctx_, m, r.handshake, std::move(peer))
                ->start(std::move(req));
            return;
        }
        case route_kind::client_bundle:
            return send_file(req, ctx_.client_dist, r.file, false);
        case route_kind::static_file:
            return send_file(req, ctx_.static_dir, r.file, true);
        case route_kind::refuse:
            log::info("refused peer={} {} {}: {} -> {}", peer_, std::string(req.method_string()),
                      std::string(req.target()), r.reason, r.status);
            return send_text(req, r);
    }
}

void http_session::send_text(const http::request<http::string_body>& req, const route& r) {
    // An upgrade refusal ends the connection, as the reference server does.
    const bool keep_alive = req.keep_alive() && !header_has_token(req[http::field::upgrade], "websocket");
    send_simple(r.status, r.content_type, r.body, keep_alive, req.method() == http::verb::head, req.version(),
                r.allow_get_head);
}

void http_session::send_simple(unsigned status, std::string content_type, std::string body, bool keep_alive, bool head,
                               unsigned version, bool allow_get_head) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), version);
    res->set(http::field::server, "beastio");
    res->set(http::field::content_type, content_type);
    if (allow_get_head) res->set(http::field::allow, "GET, HEAD");
    res->keep_alive(keep_alive);
    if (head) {
        res->content_length(body.size());
    } else {
        res->body() = std::move(body);
        res->prepare_payload();
    }
    write(std::move(res));
}

void http_session::send_file(const http::request<http::string_body>& req, const std::string& root, const std::string& rel,
                             bool spa_index) {
    auto missing = [&](bool forbidden) {
        route r;
        r.status = forbidden ? 403 : 404;
        r.content_type = "text/plain; charset=utf-8";
        r.body = forbidden ? "forbidden\n" : "not found\n";
        send_text(req, r);
    };
    auto found = open_static_file(root, rel, spa_index);
    if (!found) {
        log::info("not found peer={} {}: {}", peer_, std::string(req.target()), found.error().message);
        return missing(found.error().code == static_error::forbidden);
    }
    auto res = std::make_shared<http::response<http::file_body>>(http::status::ok, req.version());
    res->set(http::field::server, "beastio");
    res->set(http::field::content_type, found->content_type);
    res->set(http::field::cache_control, "no-cache");
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

template <class Response>
void http_session::write(Response&& res) {
    const bool keep_alive = res->keep_alive();
    auto& ref = *res;
    response_ = std::move(res);
    stream_.expires_after(read_timeout);
    http::async_write(stream_, ref,
                      beast::bind_front_handler(&http_session::on_write, shared_from_this(), keep_alive));
}

void http_session::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    response_.reset();
    if (ec) return shutdown();
    if (!keep_alive || ctx_.shutting_down.load()) return shutdown();
    do_read();
}

void http_session::shutdown() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
}

}  // namespace beastio::server
