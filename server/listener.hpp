// Accepts TCP connections; each gets its own strand and an http_session.
#pragma once

#include "server/context.hpp"
#include "server/net.hpp"

#include <memory>

namespace beastio::server {

class listener : public std::enable_shared_from_this<listener> {
public:
    // Binds and listens; throws on failure (startup only).
    listener(net::io_context& ioc, context& ctx, const tcp::endpoint& endpoint);

    tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    void run();
    void stop();  // thread-safe: stops accepting

private:
    void do_accept();
    void on_accept(beast::error_code ec, tcp::socket socket);

    net::io_context& ioc_;
    context& ctx_;
    net::strand<net::io_context::executor_type> strand_;
    tcp::acceptor acceptor_;
    net::steady_timer backoff_;
};

}  // namespace beastio::server
