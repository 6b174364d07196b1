// Accepts TCP connections; each gets its own strand and an http_session (or,
// with TLS, a tls_detector first). Out of file descriptors it pauses instead
// of spinning, and says so in at most one log line per interval.
#pragma once

#include "server/websocket/context.hpp"
#include "server/core/log.hpp"
#include "server/core/net.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>

namespace beastio::server {

class listener : public std::enable_shared_from_this<listener> {
public:
    // Binds and listens; throws on failure (startup only).
    // ssl: the TLS context when --tls-cert is set, else nullptr.
    listener(net::io_context& ioc, context& ctx, const tcp::endpoint& endpoint, net::ssl::context* ssl);

    tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    void run();
    void stop();  // thread-safe: stops accepting

private:
    void do_accept();
    void on_accept(beast::error_code ec, tcp::socket socket);

    net::io_context& ioc_;
    context& ctx_;
    std::size_t next_loop_ = 0;  // the loop the next connection runs on (ctx_.loops, in turn)
    net::ssl::context* ssl_;
    log::throttle accept_errors_{std::chrono::seconds(10)};
    net::strand<net::io_context::executor_type> strand_;
    tcp::acceptor acceptor_;
    net::steady_timer backoff_;
};

}  // namespace beastio::server
