// The definitions of ws_session<Stream>, included by the two files that
// instantiate it (ws_session_tcp.cpp, ws_session_tls.cpp): one instantiation
// per translation unit, so the build compiles them in parallel.
#pragma once

#include "server/websocket/ws_session.hpp"

#include "protocol/engineio/packet.hpp"
#include "server/core/ids.hpp"
#include "server/core/log.hpp"

#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <atomic>

namespace beastio::server {
namespace ws_detail {

// Ids of plain-stream connections: plain-1, plain-2, ... across both kinds of stream.
std::string plain_id();

// Read buffers above this are released after the message that grew them.
inline constexpr std::size_t keep_read_capacity = 16 * 1024;

inline std::chrono::milliseconds ms(std::uint64_t v) { return std::chrono::milliseconds(v); }

// socket.handshake of an Engine.IO connection: built once, shared by its sockets.
template <class Stream>
handshake_ptr make_handshake(const http::request<http::string_body>& req, Stream& stream) {
    auto h = std::make_shared<sio_handshake>();
    h->headers.reserve(static_cast<std::size_t>(std::distance(req.begin(), req.end())));
    for (const auto& field : req) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        h->headers.emplace_back(std::move(name), std::string(field.value()));
    }
    h->url = std::string(req.target());
    const auto q = req.target().find('?');
    if (q != beast::string_view::npos) h->query = eio::parse_query(req.target().substr(q + 1));
    beast::error_code ec;
    const auto ep = beast::get_lowest_layer(stream).socket().remote_endpoint(ec);
    if (!ec) h->address = ep.address().to_string();
    h->secure = !std::is_same_v<Stream, beast::tcp_stream>;
    h->issued_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    return h;
}

}  // namespace ws_detail

using ws_detail::keep_read_capacity;
using ws_detail::ms;
using ws_detail::plain_id;

template <class Stream>
ws_session<Stream>::ws_session(Stream&& stream, context& ctx, connection_slot slot, mode m, eio::handshake hs,
                               std::string peer)
    : ws_(std::move(stream)),
      ctx_(ctx),
      slot_(std::move(slot)),
      mode_(m),
      handshake_(hs),
      peer_(std::move(peer)),
      rate_(ctx.cfg.max_messages_per_second, std::chrono::steady_clock::now()),
      heartbeat_timer_(ws_.get_executor()),
      connect_timer_(ws_.get_executor()),
      close_timer_(ws_.get_executor()),
      binary_timer_(ws_.get_executor()) {}

template <class Stream>
ws_session<Stream>::~ws_session() {
    // Every path out of a session goes through finish(); this is the safety net
    // for one that did not (a handler chain cut by an exception), so that no
    // namespace, room or listener count keeps a connection that is gone. It
    // runs on whichever thread dropped the last reference, so here alone the
    // disconnect handlers may run off the connection's strand.
    if (accepted_ && !finished_) {
        try {
            finish(close_cause::internal_error);
        } catch (...) {
            // nothing more can be done in a destructor
        }
    }
    log::debug("freed {}", id_.empty() ? peer_ : id_);
}

template <class Stream>
template <class F>
void ws_session<Stream>::guarded(const char* where, F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        log::error("{} exception in {}: {}", id_.empty() ? peer_ : id_, where, e.what());
        start_close(close_cause::internal_error, e.what(), std::string_view(where) == "deliver");
    } catch (...) {
        log::error("{} unknown exception in {}", id_.empty() ? peer_ : id_, where);
        start_close(close_cause::internal_error, "unknown exception", std::string_view(where) == "deliver");
    }
}

template <class Stream>
void ws_session<Stream>::start(http::request<http::string_body> req) {
    // The websocket stream has its own timeouts; the TCP layer's must be off.
    beast::get_lowest_layer(ws_).expires_never();

    websocket::stream_base::timeout t{};
    t.handshake_timeout = ms(ctx_.cfg.handshake_timeout_ms);
    if (mode_ == mode::plain) {
        // Plain stream clients speak no Engine.IO: WebSocket pings find dead peers.
        t.idle_timeout = ms(ctx_.cfg.ping_interval_ms + ctx_.cfg.ping_timeout_ms);
        t.keep_alive_pings = true;
    } else {
        t.idle_timeout = websocket::stream_base::none();  // Engine.IO ping/pong owns liveness
        t.keep_alive_pings = false;
    }
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "beastio"); }));
    // A plain endpoint gets small messages at most (the integers service drops them).
    ws_.read_message_max(mode_ == mode::plain ? std::min<std::uint64_t>(ctx_.cfg.max_plain_message_bytes, ctx_.cfg.max_payload)
                                              : ctx_.cfg.max_payload);
    ws_.auto_fragment(false);

    // A plain endpoint gets the request target at open, and Socket.IO the
    // handshake; they travel in the handler, not in the session.
    std::string target = mode_ == mode::plain ? std::string(req.target()) : std::string();
    handshake_ptr hs = mode_ == mode::engine ? ws_detail::make_handshake(req, ws_.next_layer()) : nullptr;
    ws_.async_accept(req, [self = shared_from_this(), target = std::move(target), hs = std::move(hs)](
                              beast::error_code ec) mutable { self->on_accept(ec, std::move(target), std::move(hs)); });
}

template <class Stream>
void ws_session<Stream>::on_accept(beast::error_code ec, std::string target, handshake_ptr hs) {
    if (ec) {
        log::info("websocket handshake failed peer={}: {}", peer_, ec.message());
        return;
    }
    accepted_ = true;
    opened_at_ = std::chrono::steady_clock::now();
    ctx_.open_connections.add(shared_from_this());
    guarded("open", [&] { opened(std::move(target), std::move(hs)); });
    do_read();
}

template <class Stream>
void ws_session<Stream>::opened(std::string target, handshake_ptr hs) {
    auto self = shared_from_this();
    if (mode_ == mode::plain) {
        id_ = plain_id();
        log::info("open {} kind=plain peer={}", id_, peer_);
        if (ctx_.plain) ctx_.plain->on_open(self, plain_request{std::move(target), peer_});
    } else {
        id_ = random_id();
        log::info("open {} kind=engine.io peer={}{}", id_, peer_, handshake_.base64 ? " b64" : "");
        eio_.emplace(static_cast<eio_transport&>(*this), ctx_.cfg, id_, ctx_.io, std::weak_ptr<connection>(self),
                     std::move(hs));
        eio_->open();
        connect_timer_.expires_after(ms(ctx_.cfg.connect_timeout_ms));
        connect_timer_.async_wait(beast::bind_front_handler(&ws_session::on_connect_timeout, self));
    }
    if (ctx_.shutting_down.load()) start_close(close_cause::server_shutdown);
}

// ---- reading ----

template <class Stream>
void ws_session<Stream>::do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&ws_session::on_read, shared_from_this()));
}

template <class Stream>
void ws_session<Stream>::on_read(beast::error_code ec, std::size_t) {
    if (ec) {
        close_cause cause = cause_;
        if (!closing_) {
            if (ec == websocket::error::message_too_big) cause = close_cause::too_big;
            else if (ec == websocket::error::closed || ec == net::error::eof || ec == net::error::connection_reset ||
                     ec == net::error::operation_aborted || ec == beast::error::timeout)
                cause = close_cause::transport_close;
            else {
                // Protocol violations below Engine.IO (bad opcode, unmasked
                // frame, invalid UTF-8...): Beast has already sent its close code.
                detail_ = ec.message();
                cause = close_cause::transport_error;
            }
        }
        finish(cause);
        return;
    }
    if (!closing_) guarded("message handler", [&] { on_message(); });
    buffer_.consume(buffer_.size());
    if (buffer_.capacity() > keep_read_capacity) buffer_.shrink_to_fit();
    do_read();
}

template <class Stream>
void ws_session<Stream>::on_message() {
    if (!rate_.allow(std::chrono::steady_clock::now())) {
        start_close(close_cause::rate_limited,
                    fmt::format("more than {} messages in one second", rate_.per_second()));
        return;
    }
    const auto data = buffer_.cdata();
    const std::string_view bytes(static_cast<const char*>(data.data()), data.size());
    if (mode_ == mode::plain) {
        if (ctx_.plain) ctx_.plain->on_message(*this, bytes, !ws_.got_text());
        return;
    }
    if (ws_.got_text()) eio_->on_text(bytes);
    else eio_->on_binary(std::string(bytes));
}

// ---- writing ----

template <class Stream>
void ws_session<Stream>::deliver(out_frame frame) {
    net::dispatch(ws_.get_executor(), [self = shared_from_this(), f = std::move(frame)]() mutable {
        self->guarded("deliver", [&] { self->enqueue(std::move(f)); });
    });
}

template <class Stream>
void ws_session<Stream>::deliver(std::vector<out_frame> frames) {
    if (frames.empty()) return;
    net::dispatch(ws_.get_executor(), [self = shared_from_this(), fs = std::move(frames)]() mutable {
        self->guarded("deliver", [&] { self->enqueue(fs); });
    });
}

template <class Stream>
void ws_session<Stream>::deliver_volatile(std::vector<out_frame> frames) {
    if (frames.empty()) return;
    net::dispatch(ws_.get_executor(), [self = shared_from_this(), fs = std::move(frames)]() mutable {
        self->guarded("deliver", [&] { self->enqueue(fs, true); });
    });
}

template <class Stream>
void ws_session<Stream>::enqueue(out_frame f) {
    enqueue(std::span<out_frame>(&f, 1));
}

template <class Stream>
void ws_session<Stream>::enqueue(std::span<out_frame> frames, bool droppable) {
    if (closing_ || !accepted_) return;
    // b64 clients get attachments as "b<base64>" text (their size is what counts).
    if (handshake_.base64) {
        for (auto& f : frames)
            if (f.binary) f = out_frame{make_frame(eio::encode_base64_message(*f.data)), false};
    }
    // The limits are checked per packet: its frames go in together or not at
    // all. They bound what waits behind the frame being written (that one may
    // already be in the kernel, its completion not yet run), so a packet always
    // fits when nothing waits, and one message never closes a connection that
    // keeps up (a server frame is at most about --max-payload).
    const std::size_t in_flight = writing_ && !queue_.empty() ? 1 : 0;
    const std::size_t waiting = queue_.size() - in_flight;
    if (waiting > 0 && droppable) return;  // volatile: the client is not keeping up, drop it
    if (waiting > 0) {
        const std::size_t waiting_bytes = queue_.bytes() - (in_flight ? frame_bytes(queue_.front()) : 0);
        std::size_t bytes = 0;
        for (const auto& f : frames) bytes += frame_bytes(f);
        if (waiting + frames.size() > ctx_.cfg.send_queue_limit) {
            start_close(close_cause::send_queue_overflow,
                        fmt::format("{} frames waiting (--send-queue-limit {})", waiting,
                                    ctx_.cfg.send_queue_limit),
                        true);
            return;
        }
        if (waiting_bytes + bytes > ctx_.cfg.send_queue_bytes) {
            start_close(close_cause::send_queue_overflow,
                        fmt::format("{} bytes waiting and {} more (--send-queue-bytes {})", waiting_bytes, bytes,
                                    ctx_.cfg.send_queue_bytes),
                        true);
            return;
        }
    }
    // All frames of one packet go in together, never interleaved with another.
    for (auto& f : frames) queue_.push_back(std::move(f));
    if (!writing_) do_write();
}

template <class Stream>
void ws_session<Stream>::do_write() {
    writing_ = true;
    const out_frame& f = queue_.front();
    ws_.text(!f.binary);
    ws_.async_write(net::buffer(*f.data), beast::bind_front_handler(&ws_session::on_write, shared_from_this()));
}

template <class Stream>
void ws_session<Stream>::on_write(beast::error_code ec, std::size_t) {
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
    if (!queue_.empty()) queue_.pop_front();
    if (finished_) {
        queue_.clear();
        return;
    }
    if (closing_) {
        if (draining_ && !queue_.empty()) return do_write();
        if (!close_sent_) do_close();
        return;
    }
    if (!queue_.empty()) do_write();
}

// ---- closing ----

template <class Stream>
void ws_session<Stream>::close(close_cause cause) {
    net::dispatch(ws_.get_executor(), [self = shared_from_this(), cause] {
        // The application's disconnect(true): every namespace gets its DISCONNECT first,
        // so that the client knows it was sent away (and does not reconnect).
        if (cause == close_cause::server_disconnect && self->eio_ && !self->closing_)
            self->guarded("disconnect", [&] { self->eio_->disconnect_all(); });
        self->start_close(cause);
    });
}

template <class Stream>
void ws_session<Stream>::run_on_strand(std::function<void()> f) {
    net::dispatch(ws_.get_executor(), [self = shared_from_this(), fn = std::move(f)] {
        self->guarded("a task on the connection", fn);
    });
}

template <class Stream>
connection::cancel_fn ws_session<Stream>::run_after(std::chrono::milliseconds delay, std::function<void()> f) {
    auto timer = std::make_shared<net::steady_timer>(ws_.get_executor(), delay);
    // The timer does not keep the session alive: a closed connection's tasks are dropped.
    std::weak_ptr<ws_session> weak = shared_from_this();
    timer->async_wait([weak, timer, fn = std::move(f)](beast::error_code ec) {
        if (ec) return;
        auto self = weak.lock();
        if (!self || self->finished_) return;
        self->guarded("a timer of the connection", fn);
    });
    return [timer, ex = ws_.get_executor()] { net::dispatch(ex, [timer] { timer->cancel(); }); };
}

template <class Stream>
void ws_session<Stream>::start_close(close_cause cause, std::string detail, bool defer_leave) {
    if (closing_ || finished_) return;
    closing_ = true;
    cause_ = cause;
    detail_ = std::move(detail);
    // Frames not yet on the wire are dropped; the one being written completes.
    // The application's disconnect(true) drains them instead: its DISCONNECT
    // packets (and what it sent before) reach the client, within the close timeout.
    draining_ = cause == close_cause::server_disconnect;
    if (!draining_) {
        if (writing_) queue_.truncate_after_front();
        else queue_.clear();
    }
    heartbeat_timer_.cancel();
    connect_timer_.cancel();
    binary_timer_.cancel();
    // Logged when decided (the peer may take the whole close timeout to answer).
    log_close(cause);
    close_timer_.expires_after(ms(ctx_.cfg.close_timeout_ms));
    close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->drop_socket();
    });
    if (defer_leave) {
        // Nothing more is queued meanwhile (closing_); the sockets leave right after this delivery.
        net::post(ws_.get_executor(), [self = shared_from_this(), cause] {
            self->guarded("close", [&] { self->leave(cause); });
        });
    } else {
        leave(cause);
    }
    if (!writing_) do_close();
}

template <class Stream>
void ws_session<Stream>::do_close() {
    close_sent_ = true;
    const auto info = describe(cause_);
    websocket::close_reason reason(static_cast<websocket::close_code>(info.ws_code), std::string(info.log_text));
    ws_.async_close(reason, [self = shared_from_this()](beast::error_code ec) {
        if (ec && ec != net::error::operation_aborted) log::debug("{} close: {}", self->id_, ec.message());
    });
}

template <class Stream>
void ws_session<Stream>::drop_socket() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

template <class Stream>
void ws_session<Stream>::leave(close_cause cause) {
    if (left_ || !accepted_) return;
    left_ = true;
    if (mode_ == mode::plain && ctx_.plain) ctx_.plain->on_close(*this);
    if (eio_) eio_->finish(describe(cause).sio_reason, keeps_session(cause));
}

template <class Stream>
void ws_session<Stream>::log_close(close_cause cause) {
    if (logged_) return;
    logged_ = true;
    const auto info = describe(cause);
    const auto lived = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_at_).count();
    const bool warn = cause == close_cause::send_queue_overflow || cause == close_cause::rate_limited ||
                      cause == close_cause::handler_error || cause == close_cause::internal_error;
    // The detail may quote the client (an event name, a namespace): bounded and escaped.
    log::emit(warn ? log::level::warn : log::level::info, "close {} reason=\"{}\" code={} after={:.1f}s{}", id_,
              info.log_text, info.ws_code, lived,
              detail_.empty() ? std::string() : fmt::format(" detail=\"{}\"", shown(detail_, 300)));
}

template <class Stream>
void ws_session<Stream>::finish(close_cause cause) {
    if (finished_) return;
    finished_ = true;
    closing_ = true;
    heartbeat_timer_.cancel();
    connect_timer_.cancel();
    binary_timer_.cancel();
    close_timer_.cancel();  // it must not keep the session alive once the socket is done
    // The frame being written must outlive its write (a TLS write goes on
    // record by record): keep it until on_write.
    if (writing_) queue_.truncate_after_front();
    else queue_.clear();
    if (!accepted_) return;

    leave(cause);
    ctx_.open_connections.remove(this);
    log_close(cause);
    if (!close_sent_) drop_socket();
}

// ---- timers ----

template <class Stream>
void ws_session<Stream>::arm_heartbeat(std::chrono::milliseconds after) {
    const auto generation = ++heartbeat_generation_;
    heartbeat_timer_.expires_after(after);
    heartbeat_timer_.async_wait(
        beast::bind_front_handler(&ws_session::on_heartbeat, shared_from_this(), generation));
}

template <class Stream>
void ws_session<Stream>::on_heartbeat(std::uint64_t generation, beast::error_code ec) {
    if (ec || generation != heartbeat_generation_ || closing_ || !eio_) return;
    guarded("heartbeat", [&] { eio_->on_heartbeat_timer(); });
}

template <class Stream>
void ws_session<Stream>::on_connect_timeout(beast::error_code ec) {
    if (ec || closing_ || !eio_) return;
    guarded("connect timeout", [&] { eio_->on_connect_timer(); });
}

template <class Stream>
void ws_session<Stream>::set_binary_timer(std::chrono::milliseconds after) {
    const auto generation = ++binary_generation_;
    if (after.count() == 0) {
        binary_timer_.cancel();
        return;
    }
    binary_timer_.expires_after(after);
    binary_timer_.async_wait(
        beast::bind_front_handler(&ws_session::on_binary_timeout, shared_from_this(), generation));
}

template <class Stream>
void ws_session<Stream>::on_binary_timeout(std::uint64_t generation, beast::error_code ec) {
    if (ec || generation != binary_generation_ || closing_ || !eio_) return;
    guarded("binary timeout", [&] { eio_->on_binary_timer(); });
}

}  // namespace beastio::server
