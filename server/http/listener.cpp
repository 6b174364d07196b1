#include "server/http/listener.hpp"

#include "server/http/http_session.hpp"
#include "server/core/log.hpp"

#include <chrono>

namespace beastio::server {

listener::listener(net::io_context& ioc, context& ctx, const tcp::endpoint& endpoint, net::ssl::context* ssl)
    : ioc_(ioc), ctx_(ctx), ssl_(ssl), strand_(net::make_strand(ioc)), acceptor_(strand_), backoff_(strand_) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
}

void listener::run() {
    net::dispatch(strand_, beast::bind_front_handler(&listener::do_accept, shared_from_this()));
}

void listener::stop() {
    net::dispatch(strand_, [self = shared_from_this()] {
        beast::error_code ignored;
        self->acceptor_.close(ignored);
        self->backoff_.cancel();
    });
}

void listener::do_accept() {
    if (!acceptor_.is_open()) return;
    // Each connection runs on one I/O loop, the loops in turn; one thread runs
    // each loop, so a connection needs no strand (ws_session delivers in place
    // on its own thread, and a fan-out hands each loop its share at once).
    net::io_context& loop = ctx_.loops.empty() ? ioc_ : *ctx_.loops[next_loop_++ % ctx_.loops.size()];
    acceptor_.async_accept(loop, beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
        // Typically EMFILE: out of file descriptors. The pending connection
        // stays in the backlog; back off instead of spinning, and log at most
        // one line per interval however long it lasts.
        std::uint64_t left_out = 0;
        if (accept_errors_.allow(std::chrono::steady_clock::now(), &left_out))
            log::warn("accept failed: {} (pausing accepts 100 ms at a time; {} more failures since the last such line)",
                      ec.message(), left_out);
        backoff_.expires_after(std::chrono::milliseconds(100));
        backoff_.async_wait([self = shared_from_this()](beast::error_code e) {
            if (!e) self->do_accept();
        });
        return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (ssl_) std::make_shared<tls_detector>(std::move(socket), ctx_, *ssl_)->run();
    else std::make_shared<http_session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), ctx_)->run();
    do_accept();
}

}  // namespace beastio::server
