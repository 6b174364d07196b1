// One HTTP connection: reads requests (keep-alive), answers the health check,
// static files and refusals, admits WebSocket upgrades (origin, token,
// connection budget) and hands them over to a ws_session on the same stream.
//
// Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>; both
// are instantiated in http_session.cpp. With TLS configured, a tls_detector
// comes first: it refuses plain HTTP and performs the TLS handshake.
#pragma once

#include "server/websocket/context.hpp"
#include "server/core/net.hpp"
#include "server/http/router.hpp"

#include <boost/beast/ssl.hpp>

#include <memory>
#include <optional>
#include <string>

namespace beastio::server {

template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
public:
    // buffer: bytes already read from the stream (none for a new connection).
    http_session(Stream&& stream, context& ctx, beast::flat_buffer buffer = {});
    void run();

private:
    using std::enable_shared_from_this<http_session<Stream>>::shared_from_this;

    void do_read();
    void on_read(beast::error_code ec, std::size_t bytes);
    void answer(http::request<http::string_body>&& req);
    void upgrade(http::request<http::string_body>&& req, const route& r);
    void send_text(const http::request<http::string_body>& req, const route& r);
    void send_file(const http::request<http::string_body>& req, const std::string& root, const std::string& rel,
                   bool spa_index);
    struct response_options {
        bool allow_get_head = false;   // a 405 that carries "Allow: GET, HEAD"
        bool www_authenticate = false;  // a 401 that carries "WWW-Authenticate: Bearer"
        unsigned retry_after_s = 0;     // a 503 that says when to come back
    };
    void send_simple(unsigned status, std::string content_type, std::string body, bool keep_alive, bool head,
                     unsigned version = 11, response_options opts = {});
    template <class Response>
    void write(Response&& res);
    void on_write(bool keep_alive, beast::error_code ec, std::size_t bytes);
    void shutdown();

    Stream stream_;
    beast::flat_buffer buffer_;
    context& ctx_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<void> response_;  // keeps the response alive during the write
    std::string peer_;
};

// With TLS on: looks at the first bytes of a new connection. A TLS ClientHello
// gets the handshake and then an http_session on the TLS stream; anything else
// (plain HTTP on the TLS port) gets a 400 that says to use https:// or wss://.
class tls_detector : public std::enable_shared_from_this<tls_detector> {
public:
    tls_detector(tcp::socket&& socket, context& ctx, net::ssl::context& ssl);
    void run();

private:
    void on_detect(beast::error_code ec, bool is_tls);
    void on_handshake(beast::error_code ec, std::size_t used);
    void refuse_plain();
    void drain();

    beast::tcp_stream stream_;
    context& ctx_;
    net::ssl::context& ssl_;
    beast::flat_buffer buffer_;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
    std::string peer_;
    char sink_[512];
};

}  // namespace beastio::server
