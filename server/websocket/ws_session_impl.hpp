// The definitions of ws_session<Stream>, included by the two files that
// instantiate it (ws_session_tcp.cpp, ws_session_tls.cpp): one instantiation
// per translation unit, so the build compiles them in parallel.
#pragma once

#include "server/websocket/ws_session.hpp"

#include "protocol/engineio/packet.hpp"
#include "server/core/ids.hpp"
#include "server/core/log.hpp"

#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace beastio::server {
namespace ws_detail {

// Ids of plain-stream connections: plain-1, plain-2, ... across both kinds of stream.
std::string plain_id();

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2: base64 of the SHA-1 of key + GUID).
std::string accept_key(std::string_view key);

// The I/O thread's read buffer: plain-TCP sessions read into it only once their socket is readable.
std::span<char> thread_read_buffer();

// Scratch for the frame headers and the gather list of one write, per I/O thread.
struct write_scratch {
    // Asio passes at most 64 buffers to one sendmsg: the pong (2), the ping, 30 frames (2 each), the close.
    static constexpr std::size_t max_frames = 30;
    static constexpr std::size_t max_bytes = 256 * 1024;
    static constexpr std::size_t max_buffers = 64;
    std::array<char, (max_frames + 2) * ws::max_header_size> headers;
    std::array<net::const_buffer, max_buffers> buffers;
};
write_scratch& thread_write_scratch();

// Message buffers above this are released after the message that grew them.
inline constexpr std::size_t keep_read_capacity = 16 * 1024;
// The TLS stream's read buffer (one TLS record is at most 16 KiB; a read takes what is decrypted).
inline constexpr std::size_t tls_read_size = 4096;

inline std::chrono::milliseconds ms(std::uint64_t v) { return std::chrono::milliseconds(v); }

// A close code a peer may send (RFC 6455 §7.4): 1000-1003, 1007-1014, 3000-4999.
inline bool valid_close_code(std::uint16_t c) {
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

// socket.handshake of an Engine.IO connection: built once, shared by its sockets.
inline handshake_ptr make_handshake(const http::request<http::string_body>& req, tcp::socket& socket, bool secure) {
    auto h = std::make_shared<sio_handshake>();
    std::size_t fields = 0, bytes = 0;
    for (const auto& field : req) {
        ++fields;
        bytes += field.name_string().size() + field.value().size();
    }
    h->headers.reserve(fields, bytes);
    std::string name;
    for (const auto& field : req) {
        name.assign(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        h->headers.emplace_back(name, field.value());
    }
    h->url = std::string(req.target());
    const auto q = req.target().find('?');
    if (q != beast::string_view::npos) h->query = eio::parse_query(req.target().substr(q + 1));
    beast::error_code ec;
    const auto ep = socket.remote_endpoint(ec);
    if (!ec) h->address = ep.address().to_string();
    h->secure = secure;
    h->issued_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    return h;
}

template <class Stream>
auto make_transport(Stream&& stream) {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) return stream.release_socket();
    else return std::move(stream);
}

}  // namespace ws_detail

using ws_detail::keep_read_capacity;
using ws_detail::ms;
using ws_detail::plain_id;

// What one write takes: gather buffers over the pong, the ping, frames and the close frame.
template <class Stream>
struct ws_session<Stream>::batch {
    std::size_t buffers = 0;
    std::size_t bytes = 0;
    std::size_t frames = 0;
    bool pong = false;
    bool ping = false;
    bool close = false;
};

template <class Stream>
ws_session<Stream>::ws_session(Stream&& stream, context& ctx, connection_slot slot, mode m, eio::handshake hs,
                               std::string peer)
    : io_(ws_detail::make_transport(std::move(stream))),
      ctx_(ctx),
      slot_(std::move(slot)),
      mode_(m),
      handshake_(hs),
      peer_(std::move(peer)),
      rate_(ctx.cfg.max_messages_per_second, std::chrono::steady_clock::now()),
      heartbeat_timer_(io_.get_executor()),
      phase_timer_(io_.get_executor()),
      binary_timer_(io_.get_executor()) {
    // Looked up once: every delivery asks (on_own_thread), and a copy of the executor is not free.
    const auto executor = io_.get_executor();  // target() points into it: it must outlive the lookup
    if (const auto* ex = executor.template target<net::io_context::executor_type>()) own_ioc_ = &ex->context();
}

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
tcp::socket& ws_session<Stream>::socket() {
    if constexpr (tls) return beast::get_lowest_layer(io_).socket();
    else return io_;
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

// ---- opening ----

template <class Stream>
void ws_session<Stream>::start(http::request<http::string_body> req) {
    if constexpr (tls) beast::get_lowest_layer(io_).expires_never();
    else {
        beast::error_code ignored;
        io_.non_blocking(true, ignored);  // reads and writes are tried at once; would_block means "wait"
    }
    // A plain endpoint gets small messages at most (the integers service drops them).
    message_limit_ = mode_ == mode::plain ? std::min<std::uint64_t>(ctx_.cfg.max_plain_message_bytes, ctx_.cfg.max_payload)
                                          : ctx_.cfg.max_payload;
    // A plain endpoint gets the request target at open, and Socket.IO the
    // handshake; they travel in the handler, not in the session.
    std::string target = mode_ == mode::plain ? std::string(req.target()) : std::string();
    handshake_ptr hs = mode_ == mode::engine ? ws_detail::make_handshake(req, socket(), tls) : nullptr;
    // The router has checked the upgrade (GET, Upgrade: websocket, a key, version 13).
    // No extension or subprotocol is offered back: the frames are plain RFC 6455.
    out_ = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
    out_ += ws_detail::accept_key(req[http::field::sec_websocket_key]);
    out_ += "\r\nServer: beastio\r\n\r\n";
    phase_timer_.expires_after(ms(ctx_.cfg.handshake_timeout_ms));
    phase_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec && !self->accepted_) self->drop_socket();
    });
    writing_ = true;
    net::async_write(io_, net::buffer(out_),
                     [self = shared_from_this(), target = std::move(target), hs = std::move(hs)](
                         beast::error_code ec, std::size_t) mutable {
                         self->on_accept(ec, std::move(target), std::move(hs));
                     });
}

template <class Stream>
void ws_session<Stream>::on_accept(beast::error_code ec, std::string target, handshake_ptr hs) {
    writing_ = false;
    phase_timer_.cancel();
    std::string().swap(out_);
    if (ec || dropped_) {
        log::info("websocket handshake failed peer={}: {}", peer_, ec ? ec.message() : "timed out");
        return;
    }
    accepted_ = true;
    opened_at_ = std::chrono::steady_clock::now();
    if constexpr (tls) tls_in_ = std::make_unique<char[]>(ws_detail::tls_read_size);
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
        // Plain stream clients speak no Engine.IO: WebSocket pings find dead peers.
        arm_keepalive();
        if (ctx_.plain) ctx_.plain->on_open(self, plain_request{std::move(target), peer_});
    } else {
        id_ = random_id();
        log::info("open {} kind=engine.io peer={}{}", id_, peer_, handshake_.base64 ? " b64" : "");
        eio_.emplace(static_cast<eio_transport&>(*this), ctx_.cfg, id_, ctx_.io, std::weak_ptr<connection>(self),
                     std::move(hs));
        eio_->open();
        connect_deadline_ = true;
        phase_timer_.expires_after(ms(ctx_.cfg.connect_timeout_ms));
        phase_timer_.async_wait(beast::bind_front_handler(&ws_session::on_connect_timeout, self));
    }
    if (ctx_.shutting_down.load()) start_close(close_cause::server_shutdown);
}

// ---- reading ----

template <class Stream>
void ws_session<Stream>::do_read() {
    if (finished_ || dropped_) return;
    if constexpr (tls) {
        io_.async_read_some(net::buffer(tls_in_.get(), ws_detail::tls_read_size),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                if (ec) return self->read_failed(ec);
                                if (self->on_bytes(self->tls_in_.get(), n)) self->do_read();
                            });
    } else {
        io_.async_wait(tcp::socket::wait_read, in_slot(read_slot_, [self = shared_from_this()](beast::error_code ec) {
                           self->on_readable(ec);
                       }));
    }
}

template <class Stream>
void ws_session<Stream>::on_readable(beast::error_code ec) {
    if constexpr (!tls) {
        if (ec) return read_failed(ec);
        const auto buf = ws_detail::thread_read_buffer();
        // A few reads at most, then the others get their turn.
        for (int round = 0; round < 4; ++round) {
            const std::size_t n = io_.read_some(net::buffer(buf.data(), buf.size()), ec);
            if (ec == net::error::would_block || ec == net::error::try_again) break;
            if (ec) return read_failed(ec);
            if (!on_bytes(buf.data(), n)) return;
            if (n < buf.size()) break;
        }
        do_read();
    }
}

template <class Stream>
void ws_session<Stream>::read_failed(beast::error_code ec) {
    if (!closing_ && ec != net::error::eof && ec != net::error::connection_reset &&
        ec != net::error::operation_aborted && ec != net::error::bad_descriptor &&
        ec != net::ssl::error::stream_truncated)
        detail_ = ec.message();
    finish(closing_ ? cause_ : close_cause::transport_close);
}

template <class Stream>
bool ws_session<Stream>::protocol_error(std::uint16_t code, std::string detail) {
    if (!closing_) {
        hard_close_ = true;  // the peer broke the protocol: no waiting for its close frame
        start_close(code == 1009 ? close_cause::too_big : close_cause::transport_error, std::move(detail), false,
                    code);
    }
    return false;
}

template <class Stream>
bool ws_session<Stream>::on_bytes(char* data, std::size_t size) {
    if (finished_ || dropped_ || peer_closed_) return false;
    if (lingering_) return true;  // read and dropped, until the peer's end or the close timeout
    got_data_ = true;
    while (size > 0 || (in_frame_ && frame_left_ == 0)) {
        if (!in_frame_) {
            // The header, maybe across reads (it is at most 14 bytes).
            ws::parse_result p;
            std::size_t used = 0;
            if (header_part_size_ == 0) {
                p = ws::parse_header(std::string_view(data, size));
                if (p.status == ws::parse_status::complete) used = p.h.size;
            } else {
                const std::size_t add = std::min<std::size_t>(size, header_part_.size() - header_part_size_);
                std::memcpy(header_part_.data() + header_part_size_, data, add);
                const std::size_t had = header_part_size_;
                p = ws::parse_header(std::string_view(header_part_.data(), had + add));
                if (p.status == ws::parse_status::complete) used = p.h.size - had;
                else if (p.status == ws::parse_status::need_more) used = add;
            }
            if (p.status == ws::parse_status::invalid) return protocol_error(1002, std::string(p.reason));
            if (p.status == ws::parse_status::need_more) {
                if (header_part_size_ == 0) std::memcpy(header_part_.data(), data, size), used = size;
                header_part_size_ = static_cast<std::uint8_t>(header_part_size_ + used);
                return true;
            }
            header_part_size_ = 0;
            data += used;
            size -= used;
            if (!on_header(p.h)) return false;
            continue;
        }
        const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(size, frame_left_));
        const bool whole_here = frame_offset_ == 0 && take == frame_left_;
        if (whole_here && (ws::is_control(frame_.op) || (frame_.fin && frame_.op != ws::opcode::continuation))) {
            // The usual case: the whole frame (the whole message) in this read: unmasked in place.
            ws::apply_mask(data, take, frame_.mask);
            in_frame_ = false;
            if (!on_frame_done(data, take)) return false;
        } else {
            std::string& to = ws::is_control(frame_.op) ? control_ : message_;
            const std::size_t at = to.size();
            to.append(data, take);
            ws::apply_mask(to.data() + at, take, frame_.mask, frame_offset_);
            frame_offset_ += take;
            frame_left_ -= take;
            if (frame_left_ == 0) {
                in_frame_ = false;
                if (ws::is_control(frame_.op)) {
                    std::string payload;
                    payload.swap(control_);
                    if (!on_frame_done(payload.data(), payload.size())) return false;
                } else if (!on_frame_done(nullptr, 0)) {
                    return false;
                }
            }
        }
        data += take;
        size -= take;
    }
    return true;
}

template <class Stream>
bool ws_session<Stream>::on_header(const ws::header& h) {
    if (!h.masked) return protocol_error(1002, "a client frame that is not masked");
    if (!ws::is_control(h.op)) {
        if (h.op == ws::opcode::continuation && !in_message_)
            return protocol_error(1002, "a continuation frame with nothing to continue");
        if (h.op != ws::opcode::continuation && in_message_)
            return protocol_error(1002, "a new message before the last one ended");
        if (message_.size() + h.payload_size > message_limit_)
            return protocol_error(1009, fmt::format("a message over {} bytes", message_limit_));
        if (h.op != ws::opcode::continuation) {
            in_message_ = true;
            message_binary_ = h.op == ws::opcode::binary;
        }
    }
    frame_ = h;
    frame_left_ = h.payload_size;
    frame_offset_ = 0;
    in_frame_ = true;
    return true;
}

// payload: a control frame's, or a data frame's when it is the whole message (else the message is in message_).
template <class Stream>
bool ws_session<Stream>::on_frame_done(char* payload, std::size_t size) {
    switch (frame_.op) {
        case ws::opcode::ping:
            if (!closing_) {
                pong_.assign(payload, size);  // only the latest ping is answered (§5.5.3)
                pong_owed_ = true;
                flush();
            }
            return !dropped_;
        case ws::opcode::pong: return true;
        case ws::opcode::close: return on_peer_close(std::string_view(payload, size));
        default: break;
    }
    if (!frame_.fin) return true;
    in_message_ = false;
    const bool binary = message_binary_;
    std::string_view bytes = payload ? std::string_view(payload, size) : std::string_view(message_);
    if (!binary && !ws::valid_utf8(bytes)) return protocol_error(1007, "a text message that is not UTF-8");
    if (!closing_) guarded("message handler", [&] { on_message(bytes, binary); });
    if (!payload) {
        message_.clear();
        if (message_.capacity() > keep_read_capacity) std::string().swap(message_);
    }
    return !finished_ && !dropped_;
}

template <class Stream>
bool ws_session<Stream>::on_peer_close(std::string_view payload) {
    std::uint16_t code = 0;
    if (payload.size() == 1) return protocol_error(1002, "a close frame with a one-byte body");
    if (payload.size() >= 2) {
        code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                          static_cast<unsigned char>(payload[1]));
        if (!ws_detail::valid_close_code(code)) return protocol_error(1002, fmt::format("close code {}", code));
        if (!ws::valid_utf8(payload.substr(2))) return protocol_error(1007, "a close reason that is not UTF-8");
    }
    peer_closed_ = true;
    if (close_sent_) {
        // The answer to our close: the handshake is complete.
        drop_socket();
        finish(cause_);
        return false;
    }
    if (!closing_) {
        // The peer closes: its code is echoed back (§5.5.1), then the socket goes.
        start_close(close_cause::transport_close, {}, false, code ? code : 1000);
    }
    hard_close_ = true;
    flush();
    return false;
}

template <class Stream>
void ws_session<Stream>::on_message(std::string_view bytes, bool binary) {
    if (!rate_.allow(std::chrono::steady_clock::now())) {
        start_close(close_cause::rate_limited,
                    fmt::format("more than {} messages in one second", rate_.per_second()));
        return;
    }
    if (mode_ == mode::plain) {
        if (ctx_.plain) ctx_.plain->on_message(*this, bytes, binary);
        return;
    }
    if (!binary) eio_->on_text(bytes);
    else eio_->on_binary(std::string(bytes));
}

// ---- writing ----

template <class Stream>
bool ws_session<Stream>::on_own_thread() {
    // On its loop's one thread the session may act at once; from any other
    // thread, deliver() and close() post to that loop.
    return own_ioc_ != nullptr && own_ioc_->get_executor().running_in_this_thread();
}

template <class Stream>
void ws_session<Stream>::deliver(out_frame frame) {
    if (on_own_thread()) {
        guarded("deliver", [&] { enqueue(std::move(frame)); });
        return;
    }
    net::dispatch(io_.get_executor(), [self = shared_from_this(), f = std::move(frame)]() mutable {
        self->guarded("deliver", [&] { self->enqueue(std::move(f)); });
    });
}

template <class Stream>
void ws_session<Stream>::deliver(std::span<const out_frame> frames) {
    deliver_packet(frames, false);
}

template <class Stream>
void ws_session<Stream>::deliver_volatile(std::span<const out_frame> frames) {
    deliver_packet(frames, true);
}

template <class Stream>
void ws_session<Stream>::deliver_packet(std::span<const out_frame> frames, bool droppable) {
    if (frames.empty()) return;
    if (on_own_thread()) {
        guarded("deliver", [&] { enqueue(frames, droppable); });
        return;
    }
    // From another thread the frames must outlive the call: copied (a reference each).
    net::dispatch(io_.get_executor(),
                  [self = shared_from_this(), fs = std::vector(frames.begin(), frames.end()), droppable] {
                      self->guarded("deliver", [&] { self->enqueue(fs, droppable); });
                  });
}

template <class Stream>
void ws_session<Stream>::enqueue(const out_frame& f) {
    enqueue(std::span<const out_frame>(&f, 1));
}

template <class Stream>
void ws_session<Stream>::enqueue(std::span<const out_frame> frames, bool droppable) {
    if (closing_ || !accepted_) return;
    // b64 clients get attachments as "b<base64>" text (their size is what counts).
    if (handshake_.base64 && std::any_of(frames.begin(), frames.end(), [](const out_frame& f) { return f.binary; })) {
        std::vector<out_frame> text(frames.begin(), frames.end());
        for (auto& f : text)
            if (f.binary) f = out_frame{make_frame(eio::encode_base64_message(*f.data)), false};
        return enqueue(text, droppable);
    }
    // The limits are checked per packet: its frames go in together or not at
    // all. They bound what waits behind the bytes being written (those may
    // already be in the kernel), so a packet always fits when nothing waits,
    // and one message never closes a connection that keeps up (a server frame
    // is at most about --max-payload).
    const std::size_t waiting = queue_.size();
    if (waiting > 0 && droppable) return;  // volatile: the client is not keeping up, drop it
    if (waiting > 0) {
        std::size_t bytes = 0;
        for (const auto& f : frames) bytes += frame_bytes(f);
        if (waiting + frames.size() > ctx_.cfg.send_queue_limit) {
            start_close(close_cause::send_queue_overflow,
                        fmt::format("{} frames waiting (--send-queue-limit {})", waiting,
                                    ctx_.cfg.send_queue_limit),
                        true);
            return;
        }
        if (queue_.bytes() + bytes > ctx_.cfg.send_queue_bytes) {
            start_close(close_cause::send_queue_overflow,
                        fmt::format("{} bytes waiting and {} more (--send-queue-bytes {})", queue_.bytes(), bytes,
                                    ctx_.cfg.send_queue_bytes),
                        true);
            return;
        }
    }
    // The usual case of a broadcast: nothing waits, so the packet is written
    // now from the caller's frames, with no reference taken and nothing
    // queued (what the kernel does not take is copied aside, as for a batch).
    if constexpr (!tls) {
        if (waiting == 0 && !writing_ && !dropped_ && frames.size() <= ws_detail::write_scratch::max_frames) {
            write_batch(frames);
            return;
        }
    }
    // All frames of one packet go in together, never interleaved with another.
    for (const auto& f : frames) queue_.push_back(f);
    flush();
}

template <class Stream>
void ws_session<Stream>::collect(batch& b, std::span<const out_frame> direct) {
    auto& s = ws_detail::thread_write_scratch();
    char* h = s.headers.data();
    const auto add = [&](const void* p, std::size_t n) {
        s.buffers[b.buffers++] = net::const_buffer(p, n);
        b.bytes += n;
    };
    const auto add_frame = [&](const out_frame& f) {
        const std::size_t size = frame_bytes(f);
        const std::size_t n = ws::write_header(h, f.binary ? ws::opcode::binary : ws::opcode::text, size);
        add(h, n);
        h += n;
        if (size) add(f.data->data(), size);
    };
    if (close_sent_ || out_has_close_) return;  // nothing follows a close frame
    if (pong_owed_) {
        const std::size_t n = ws::write_header(h, ws::opcode::pong, pong_.size());
        add(h, n);
        h += n;
        if (!pong_.empty()) add(pong_.data(), pong_.size());
        b.pong = true;
    }
    if (ping_owed_) {
        const std::size_t n = ws::write_header(h, ws::opcode::ping, 0);
        add(h, n);
        h += n;
        b.ping = true;
    }
    while (b.frames < queue_.size() && b.frames < ws_detail::write_scratch::max_frames &&
           b.bytes < ws_detail::write_scratch::max_bytes) {
        add_frame(queue_.at(b.frames));
        ++b.frames;
    }
    for (const auto& f : direct) add_frame(f);  // only when the queue is empty: it fits
    if (close_owed_ && b.frames == queue_.size()) {
        add(close_frame_.data(), close_frame_.size());
        b.close = true;
    }
}

// The batch went out up to `written` bytes: what is left of it is copied aside.
template <class Stream>
void ws_session<Stream>::taken(const batch& b, std::size_t written) {
    if (written < b.bytes) {
        const auto& s = ws_detail::thread_write_scratch();
        out_.clear();
        out_sent_ = 0;
        std::size_t skip = written;
        for (std::size_t i = 0; i < b.buffers; ++i) {
            const auto& buf = s.buffers[i];
            if (skip >= buf.size()) {
                skip -= buf.size();
                continue;
            }
            out_.append(static_cast<const char*>(buf.data()) + skip, buf.size() - skip);
            skip = 0;
        }
        out_has_close_ = b.close;
    }
    if (b.pong) {
        pong_owed_ = false;
        pong_.clear();
    }
    if (b.ping) ping_owed_ = false;
    if (b.close) close_owed_ = false;
    for (std::size_t i = 0; i < b.frames; ++i) queue_.pop_front();
}

template <class Stream>
void ws_session<Stream>::flush() {
    if (writing_ || dropped_ || !accepted_) return;
    if constexpr (tls) {
        // The TLS stream writes one buffer per record: the batch is copied into one.
        batch b;
        collect(b, {});
        if (b.bytes == 0) return;
        const auto& s = ws_detail::thread_write_scratch();
        out_.clear();
        for (std::size_t i = 0; i < b.buffers; ++i)
            out_.append(static_cast<const char*>(s.buffers[i].data()), s.buffers[i].size());
        out_has_close_ = b.close;
        taken(b, b.bytes);  // copied: nothing of it is left to copy
        writing_ = true;
        net::async_write(io_, net::buffer(out_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_tls_written(ec);
        });
    } else {
        // A few batches at most (30 frames each), then the others get their turn.
        for (int round = 0; round < 4; ++round)
            if (!write_batch()) return;
        net::post(io_.get_executor(), [self = shared_from_this()] { self->flush(); });
    }
}

template <class Stream>
bool ws_session<Stream>::write_batch(std::span<const out_frame> direct) {
    if constexpr (tls) {
        return false;  // the TLS path writes through flush()'s copy
    } else {
        batch b;
        collect(b, direct);
        if (b.bytes == 0) return false;
        const auto& s = ws_detail::thread_write_scratch();
        beast::error_code ec;
        std::size_t n = io_.write_some(std::span(s.buffers.data(), b.buffers), ec);
        if (ec == net::error::would_block || ec == net::error::try_again) {
            n = 0;
            ec = {};
        }
        if (ec) {
            write_failed(ec);
            return false;
        }
        taken(b, n);
        if (n < b.bytes) {
            writing_ = true;
            io_.async_wait(tcp::socket::wait_write,
                           [self = shared_from_this()](beast::error_code e) { self->on_writable(e); });
            return false;
        }
        if (b.close) {
            close_written();
            return false;
        }
        return true;
    }
}

template <class Stream>
void ws_session<Stream>::on_writable(beast::error_code ec) {
    if constexpr (!tls) {
        writing_ = false;
        if (ec) return write_failed(ec);
        if (dropped_) return;
        const std::size_t n = io_.write_some(net::buffer(out_.data() + out_sent_, out_.size() - out_sent_), ec);
        if (ec && ec != net::error::would_block && ec != net::error::try_again) return write_failed(ec);
        out_sent_ += ec ? 0 : n;
        if (out_sent_ < out_.size()) {
            writing_ = true;
            io_.async_wait(tcp::socket::wait_write,
                           [self = shared_from_this()](beast::error_code e) { self->on_writable(e); });
            return;
        }
        const bool had_close = out_has_close_;
        out_.clear();
        out_sent_ = 0;
        out_has_close_ = false;
        if (out_.capacity() > keep_read_capacity) std::string().swap(out_);
        if (had_close) return close_written();
        flush();
    }
}

template <class Stream>
void ws_session<Stream>::on_tls_written(beast::error_code ec) {
    writing_ = false;
    if (ec) return write_failed(ec);
    const bool had_close = out_has_close_;
    out_.clear();
    out_has_close_ = false;
    if (out_.capacity() > keep_read_capacity) std::string().swap(out_);
    if (had_close) return close_written();
    flush();
}

template <class Stream>
void ws_session<Stream>::write_failed(beast::error_code) {
    if (!closing_) {
        closing_ = true;
        cause_ = close_cause::transport_close;
    }
    queue_.clear();
    out_.clear();
    drop_socket();
    // Finished in a handler of its own: a write may fail inside someone else's emit.
    net::post(io_.get_executor(), [self = shared_from_this()] { self->finish(self->cause_); });
}

template <class Stream>
void ws_session<Stream>::queue_close(std::uint16_t code, std::string_view reason) {
    if (close_owed_ || close_sent_ || out_has_close_) return;
    std::string payload;
    if (code) {
        payload.push_back(static_cast<char>(code >> 8));
        payload.push_back(static_cast<char>(code & 0xFF));
        payload.append(reason.substr(0, 123));  // a control frame carries at most 125 bytes
    }
    close_frame_ = ws::encode_frame(ws::opcode::close, payload);
    close_owed_ = true;
}

template <class Stream>
void ws_session<Stream>::close_written() {
    close_sent_ = true;
    if (hard_close_ && !peer_closed_ && !dropped_) {
        // A protocol error: the peer may still be sending (the rest of a
        // too-big message, say). Closing now, with its bytes unread, would
        // answer them with a reset, and a reset can destroy the close frame
        // before the peer reads it. So our side is shut, and what comes is
        // read and dropped until the peer closes, or the close timeout
        // (--close-timeout-ms, already running) ends it: a lingering close.
        lingering_ = true;
        beast::error_code ignored;
        socket().shutdown(tcp::socket::shutdown_send, ignored);
        do_read();  // reading had stopped at the error
        return;
    }
    if (peer_closed_ || hard_close_) {
        drop_socket();
        net::post(io_.get_executor(), [self = shared_from_this()] { self->finish(self->cause_); });
    }
    // Otherwise the peer's close frame (or the close timeout) ends it.
}

// ---- closing ----

template <class Stream>
void ws_session<Stream>::close(close_cause cause) {
    net::dispatch(io_.get_executor(), [self = shared_from_this(), cause] {
        // The application's disconnect(true): every namespace gets its DISCONNECT first,
        // so that the client knows it was sent away (and does not reconnect).
        if (cause == close_cause::server_disconnect && self->eio_ && !self->closing_)
            self->guarded("disconnect", [&] { self->eio_->disconnect_all(); });
        self->start_close(cause);
    });
}

template <class Stream>
void ws_session<Stream>::run_on_strand(std::function<void()> f) {
    net::dispatch(io_.get_executor(), [self = shared_from_this(), fn = std::move(f)] {
        self->guarded("a task on the connection", fn);
    });
}

template <class Stream>
connection::cancel_fn ws_session<Stream>::run_after(std::chrono::milliseconds delay, std::function<void()> f) {
    auto timer = std::make_shared<net::steady_timer>(io_.get_executor(), delay);
    // The timer does not keep the session alive: a closed connection's tasks are dropped.
    std::weak_ptr<ws_session> weak = shared_from_this();
    timer->async_wait([weak, timer, fn = std::move(f)](beast::error_code ec) {
        if (ec) return;
        auto self = weak.lock();
        if (!self || self->finished_) return;
        self->guarded("a timer of the connection", fn);
    });
    return [timer, ex = io_.get_executor()] { net::dispatch(ex, [timer] { timer->cancel(); }); };
}

template <class Stream>
void ws_session<Stream>::start_close(close_cause cause, std::string detail, bool defer_leave, std::uint16_t code) {
    if (closing_ || finished_) return;
    closing_ = true;
    cause_ = cause;
    detail_ = std::move(detail);
    // Frames not yet on the wire are dropped; bytes already handed to the
    // kernel in part are completed (the frame must stay whole). The
    // application's disconnect(true) drains them instead: its DISCONNECT
    // packets (and what it sent before) reach the client, within the close timeout.
    draining_ = cause == close_cause::server_disconnect;
    if (!draining_) queue_.clear();
    heartbeat_timer_.cancel();
    connect_deadline_ = false;  // phase_timer_ is the close deadline from here on
    binary_timer_.cancel();
    const auto info = describe(cause);
    close_code_ = code ? code : info.ws_code;
    // Logged when decided (the peer may take the whole close timeout to answer).
    log_close(cause);
    phase_timer_.expires_after(ms(ctx_.cfg.close_timeout_ms));
    phase_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec) return;
        self->drop_socket();
        self->finish(self->cause_);
    });
    if (defer_leave) {
        // Nothing more is queued meanwhile (closing_); the sockets leave right after this delivery.
        net::post(io_.get_executor(), [self = shared_from_this(), cause] {
            self->guarded("close", [&] { self->leave(cause); });
        });
    } else {
        leave(cause);
    }
    queue_close(close_code_, info.log_text);
    flush();
}

template <class Stream>
void ws_session<Stream>::drop_socket() {
    if (dropped_) return;
    dropped_ = true;
    beast::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
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
              info.log_text, close_code_ ? close_code_ : info.ws_code, lived,
              detail_.empty() ? std::string() : fmt::format(" detail=\"{}\"", shown(detail_, 300)));
}

template <class Stream>
void ws_session<Stream>::finish(close_cause cause) {
    if (finished_) return;
    finished_ = true;
    closing_ = true;
    heartbeat_timer_.cancel();
    binary_timer_.cancel();
    phase_timer_.cancel();  // it must not keep the session alive once the socket is done
    queue_.clear();
    if (!accepted_) return;

    leave(cause);
    ctx_.open_connections.remove(this);
    log_close(cause);
    drop_socket();
}

// ---- timers ----

template <class Stream>
void ws_session<Stream>::arm_heartbeat(std::chrono::milliseconds after) {
    heartbeat_due_ = std::chrono::steady_clock::now() + after;
    // A wait that ends no later than the new deadline stays: it waits again for the rest.
    if (heartbeat_waiting_ && heartbeat_timer_.expiry() <= heartbeat_due_) return;
    wait_heartbeat();
}

template <class Stream>
void ws_session<Stream>::wait_heartbeat() {
    heartbeat_waiting_ = true;
    heartbeat_timer_.expires_at(heartbeat_due_);  // cancels a wait that would end later
    heartbeat_timer_.async_wait(in_slot(heartbeat_slot_, [self = shared_from_this()](beast::error_code ec) {
        self->on_heartbeat(ec);
    }));
}

template <class Stream>
void ws_session<Stream>::on_heartbeat(beast::error_code ec) {
    if (ec) return;  // cancelled: closing, or a wait for an earlier deadline replaced this one
    heartbeat_waiting_ = false;
    if (closing_ || !eio_) return;
    if (std::chrono::steady_clock::now() < heartbeat_due_) return wait_heartbeat();
    guarded("heartbeat", [&] { eio_->on_heartbeat_timer(); });
}

// Plain mode: a ping after half the idle time (--ping-interval-ms + --ping-timeout-ms) with
// nothing received, a close after the other half if still nothing came.
template <class Stream>
void ws_session<Stream>::arm_keepalive() {
    heartbeat_timer_.expires_after(ms((ctx_.cfg.ping_interval_ms + ctx_.cfg.ping_timeout_ms) / 2));
    heartbeat_timer_.async_wait(in_slot(heartbeat_slot_, [self = shared_from_this()](beast::error_code ec) {
        self->on_keepalive(ec);
    }));
}

template <class Stream>
void ws_session<Stream>::on_keepalive(beast::error_code ec) {
    if (ec || closing_) return;
    if (got_data_) {
        got_data_ = false;
        ping_out_ = false;
    } else if (!ping_out_) {
        ping_out_ = true;
        ping_owed_ = true;
        flush();
    } else {
        start_close(close_cause::ping_timeout, "no data from the peer within the idle timeout");
        return;
    }
    arm_keepalive();
}

template <class Stream>
void ws_session<Stream>::cancel_connect_timer() {
    if (!connect_deadline_) return;
    connect_deadline_ = false;
    phase_timer_.cancel();
}

template <class Stream>
void ws_session<Stream>::on_connect_timeout(beast::error_code ec) {
    if (ec || closing_ || !eio_ || !connect_deadline_) return;
    connect_deadline_ = false;
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
