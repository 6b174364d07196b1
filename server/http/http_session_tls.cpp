// http_session over TLS, and the tls_detector that leads to it.
#include "server/http/http_session_impl.hpp"

namespace beastio::server {

template class http_session<beast::ssl_stream<beast::tcp_stream>>;

// ---- tls_detector ----

tls_detector::tls_detector(tcp::socket&& socket, context& ctx, net::ssl::context& ssl)
    : stream_(std::move(socket)), ctx_(ctx), ssl_(ssl), peer_(peer_of(stream_.socket())) {}

void tls_detector::run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
        self->stream_.expires_after(handshake_timeout(self->ctx_));
        beast::async_detect_ssl(self->stream_, self->buffer_,
                                beast::bind_front_handler(&tls_detector::on_detect, self));
    });
}

void tls_detector::on_detect(beast::error_code ec, bool is_tls) {
    if (ec) {
        if (ec == beast::error::timeout) log::debug("dropped peer={}: nothing sent within the handshake timeout", peer_);
        stream_.close();
        return;
    }
    if (!is_tls) return refuse_plain();
    tls_.emplace(std::move(stream_), ssl_);
    beast::get_lowest_layer(*tls_).expires_after(handshake_timeout(ctx_));
    tls_->async_handshake(net::ssl::stream_base::server, buffer_.data(),
                          beast::bind_front_handler(&tls_detector::on_handshake, shared_from_this()));
}

void tls_detector::on_handshake(beast::error_code ec, std::size_t used) {
    if (ec) {
        log::info("TLS handshake failed peer={}: {}", peer_, ec.message());
        beast::get_lowest_layer(*tls_).close();
        return;
    }
    buffer_.consume(used);
    std::make_shared<http_session<beast::ssl_stream<beast::tcp_stream>>>(std::move(*tls_), ctx_, std::move(buffer_))
        ->run();
}

void tls_detector::refuse_plain() {
    log::info("refused peer={}: plain HTTP on the TLS port -> 400", peer_);
    static const std::string response = [] {
        const std::string body = "This port speaks TLS only: use https:// or wss:// (plain HTTP is refused).\n";
        return fmt::format(
            "HTTP/1.1 400 Bad Request\r\nServer: beastio\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "X-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
            body.size(), body);
    }();
    stream_.expires_after(handshake_timeout(ctx_));
    net::async_write(stream_, net::buffer(response), [self = shared_from_this()](beast::error_code e, std::size_t) {
        if (e) {
            self->stream_.close();
            return;
        }
        // Half-close, then read what the client still sends until it closes:
        // closing with unread bytes would reset the connection and lose the answer.
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        self->drain();
    });
}

void tls_detector::drain() {
    stream_.async_read_some(net::buffer(sink_), [self = shared_from_this()](beast::error_code e, std::size_t) {
        if (e) {
            self->stream_.close();
            return;
        }
        self->drain();
    });
}

}  // namespace beastio::server
