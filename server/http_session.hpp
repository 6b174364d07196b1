// One plain HTTP connection: reads requests (keep-alive), answers the health
// check, static files and refusals, and hands WebSocket upgrades over to a
// ws_session.
#pragma once

#include "server/context.hpp"
#include "server/net.hpp"
#include "server/router.hpp"

#include <memory>
#include <optional>
#include <string>

namespace beastio::server {

class http_session : public std::enable_shared_from_this<http_session> {
public:
    http_session(tcp::socket&& socket, context& ctx);
    void run();

private:
    void do_read();
    void on_read(beast::error_code ec, std::size_t bytes);
    void answer(http::request<http::string_body>&& req);
    void send_text(const http::request<http::string_body>& req, const route& r);
    void send_file(const http::request<http::string_body>& req, const std::string& root, const std::string& rel,
                   bool spa_index);
    void send_simple(unsigned status, std::string content_type, std::string body, bool keep_alive, bool head,
                     unsigned version = 11, bool allow_get_head = false);
    template <class Response>
    void write(Response&& res);
    void on_write(bool keep_alive, beast::error_code ec, std::size_t bytes);
    void shutdown();

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    context& ctx_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<void> response_;  // keeps the response alive during the write
    std::string peer_;
};

}  // namespace beastio::server
