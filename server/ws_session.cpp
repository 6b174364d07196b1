#include "server/ws_session.hpp"

#include "protocol/engineio/packet.hpp"
#include "server/ids.hpp"
#include "server/log.hpp"

#include <atomic>

namespace beastio::server {
namespace {

using namespace std::chrono_literals;

std::string plain_id() {
    static std::atomic<std::uint64_t> next{1};
    return fmt::format("plain-{}", next.fetch_add(1, std::memory_order_relaxed));
}

// Read buffers above this are released after the message that grew them.
constexpr std::size_t keep_read_capacity = 16 * 1024;
// How long a close handshake may take before the socket is dropped.
constexpr auto close_deadline = 3s;

}  // namespace

ws_session::ws_session(tcp::socket&& socket, context& ctx, mode m, eio::handshake hs, std::string peer)
    : ws_(std::move(socket)),
      ctx_(ctx),
      mode_(m),
      handshake_(hs),
      peer_(std::move(peer)),
      heartbeat_timer_(ws_.get_executor()),
      connect_timer_(ws_.get_executor()),
      close_timer_(ws_.get_executor()) {}

ws_session::~ws_session() = default;

void ws_session::start(http::request<http::string_body> req) {
    // The websocket stream has its own timeouts; the TCP layer's must be off.
    beast::get_lowest_layer(ws_).expires_never();

    websocket::stream_base::timeout t{};
    t.handshake_timeout = 10s;
    if (mode_ == mode::plain) {
        // Plain stream clients speak no Engine.IO: WebSocket pings find dead peers.
        t.idle_timeout = std::chrono::milliseconds(ctx_.cfg.ping_interval_ms + ctx_.cfg.ping_timeout_ms);
        t.keep_alive_pings = true;
    } else {
        t.idle_timeout = websocket::stream_base::none();  // Engine.IO ping/pong owns liveness
        t.keep_alive_pings = false;
    }
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "beastio"); }));
    ws_.read_message_max(ctx_.cfg.max_payload);
    ws_.auto_fragment(false);

    ws_.async_accept(req, beast::bind_front_handler(&ws_session::on_accept, shared_from_this()));
}

void ws_session::on_accept(beast::error_code ec) {
    if (ec) {
        log::info("websocket handshake failed peer={}: {}", peer_, ec.message());
        return;
    }
    accepted_ = true;
    opened_at_ = std::chrono::steady_clock::now();
    auto self = shared_from_this();
    ctx_.open_connections.add(self);

    if (mode_ == mode::plain) {
        id_ = plain_id();
        log::info("open {} kind=plain peer={}", id_, peer_);
        ctx_.plain.join(self);
    } else {
        id_ = random_id();
        log::info("open {} kind=engine.io peer={}{}", id_, peer_, handshake_.base64 ? " b64" : "");
        eio_.emplace(static_cast<eio_transport&>(*this), ctx_.cfg, id_, ctx_.io, std::weak_ptr<connection>(self));
        eio_->open();
        connect_timer_.expires_after(std::chrono::milliseconds(ctx_.cfg.connect_timeout_ms));
        connect_timer_.async_wait(beast::bind_front_handler(&ws_session::on_connect_timeout, self));
    }
    if (ctx_.shutting_down.load()) start_close(close_cause::server_shutdown);
    do_read();
}

// ---- reading ----

void ws_session::do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&ws_session::on_read, shared_from_this()));
}

void ws_session::on_read(beast::error_code ec, std::size_t) {
    if (ec) {
        close_cause cause = cause_;
        if (!closing_) {
            if (ec == websocket::error::message_too_big) cause = close_cause::too_big;
            else if (ec == websocket::error::closed || ec == net::error::eof || ec == net::error::connection_reset ||
                     ec == net::error::operation_aborted || ec == beast::error::timeout)
                cause = close_cause::transport_close;
            else {
                log::debug("{} read error: {}", id_, ec.message());
                cause = close_cause::transport_error;
            }
        }
        finish(cause);
        return;
    }

    if (mode_ == mode::engine && !closing_) {
        const auto data = buffer_.cdata();
        const std::string_view bytes(static_cast<const char*>(data.data()), data.size());
        if (ws_.got_text()) eio_->on_text(bytes);
        else eio_->on_binary(std::string(bytes));
    }
    // The plain stream reads and ignores what the client sends.

    buffer_.consume(buffer_.size());
    if (buffer_.capacity() > keep_read_capacity) buffer_.shrink_to_fit();
    do_read();
}

// ---- writing ----

void ws_session::deliver(out_frame frame) {
    net::dispatch(ws_.get_executor(), [self = shared_from_this(), f = std::move(frame)]() mutable {
        self->enqueue(std::move(f));
    });
}

void ws_session::deliver(std::vector<out_frame> frames) {
    if (frames.empty()) return;
    net::dispatch(ws_.get_executor(), [self = shared_from_this(), fs = std::move(frames)]() mutable {
        self->enqueue(fs);
    });
}

void ws_session::enqueue(out_frame f) { enqueue(std::span<out_frame>(&f, 1)); }

void ws_session::enqueue(std::span<out_frame> frames) {
    if (closing_ || !accepted_) return;
    if (queue_.size() >= ctx_.cfg.send_queue_limit) {
        start_close(close_cause::send_queue_overflow, fmt::format("{} frames waiting", queue_.size()));
        return;
    }
    // All frames of one packet go in together, never interleaved with another.
    for (auto& f : frames) {
        if (f.binary && handshake_.base64) f = out_frame{make_frame(eio::encode_base64_message(*f.data)), false};
        queue_.push_back(std::move(f));
    }
    if (!writing_) do_write();
}

void ws_session::do_write() {
    writing_ = true;
    const out_frame& f = queue_.front();
    ws_.text(!f.binary);
    ws_.async_write(net::buffer(*f.data), beast::bind_front_handler(&ws_session::on_write, shared_from_this()));
}

void ws_session::on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) {
        if (!closing_) {
            closing_ = true;
            cause_ = close_cause::transport_close;
        }
        queue_.clear();
        drop_socket();
        return;
    }
    queue_.pop_front();
    if (closing_) {
        if (!close_sent_) do_close();
        return;
    }
    if (!queue_.empty()) do_write();
}

// ---- closing ----

void ws_session::close(close_cause cause) {
    net::dispatch(ws_.get_executor(), [self = shared_from_this(), cause] { self->start_close(cause); });
}

void ws_session::run_on_strand(std::function<void()> f) {
    net::dispatch(ws_.get_executor(), [self = shared_from_this(), fn = std::move(f)] { fn(); });
}

void ws_session::start_close(close_cause cause, std::string detail) {
    if (closing_ || finished_) return;
    closing_ = true;
    cause_ = cause;
    detail_ = std::move(detail);
    // Frames not yet on the wire are dropped; the one being written completes.
    if (writing_) queue_.truncate_after_front();
    else queue_.clear();
    heartbeat_timer_.cancel();
    connect_timer_.cancel();
    close_timer_.expires_after(close_deadline);
    close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->drop_socket();
    });
    if (!writing_) do_close();
}

void ws_session::do_close() {
    close_sent_ = true;
    const auto info = describe(cause_);
    websocket::close_reason reason(static_cast<websocket::close_code>(info.ws_code), std::string(info.log_text));
    ws_.async_close(reason, [self = shared_from_this()](beast::error_code ec) {
        if (ec && ec != net::error::operation_aborted) log::debug("{} close: {}", self->id_, ec.message());
    });
}

void ws_session::drop_socket() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

void ws_session::finish(close_cause cause) {
    if (finished_) return;
    finished_ = true;
    closing_ = true;
    heartbeat_timer_.cancel();
    connect_timer_.cancel();
    queue_.clear();
    if (!accepted_) return;

    const auto info = describe(cause);
    if (mode_ == mode::plain) ctx_.plain.leave(this);
    if (eio_) eio_->finish(info.sio_reason);
    ctx_.open_connections.remove(this);
    const auto lived = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_at_).count();
    const auto level = cause == close_cause::send_queue_overflow ? log::level::warn : log::level::info;
    log::emit(level, "close {} reason=\"{}\" code={} after={:.1f}s{}", id_, info.log_text, info.ws_code, lived,
              detail_.empty() ? std::string() : fmt::format(" detail=\"{}\"", detail_));
    if (!close_sent_) drop_socket();
}

// ---- timers ----

void ws_session::arm_heartbeat(std::chrono::milliseconds after) {
    const auto generation = ++heartbeat_generation_;
    heartbeat_timer_.expires_after(after);
    heartbeat_timer_.async_wait(
        beast::bind_front_handler(&ws_session::on_heartbeat, shared_from_this(), generation));
}

void ws_session::on_heartbeat(std::uint64_t generation, beast::error_code ec) {
    if (ec || generation != heartbeat_generation_ || closing_ || !eio_) return;
    eio_->on_heartbeat_timer();
}

void ws_session::on_connect_timeout(beast::error_code ec) {
    if (ec || closing_ || !eio_) return;
    eio_->on_connect_timer();
}

}  // namespace beastio::server
