// One WebSocket connection: the only owner of the socket. It speaks either
// plain WebSocket (to the application's plain_endpoint) or Engine.IO v4
// (heartbeat, packet framing) with Socket.IO on top. Every async operation
// holds a shared_ptr to it, so it lives exactly as long as something is
// pending. It runs on one I/O loop, whose one thread runs all its handlers
// (--threads N makes N loops), so it needs no strand.
//
// The WebSocket protocol is its own (RFC 6455 through protocol/websocket),
// not Beast's stream: on the plain-TCP path an idle connection holds no read
// buffer (it waits until the socket is readable and reads into its thread's
// buffer), and a write is one non-blocking sendmsg of every frame that waits,
// made at once from the delivery: no write operation, no completion handler,
// no allocation unless the kernel takes less than all of it. The frame
// bytes are the broadcast's shared buffer; only the header is per connection.
// docs/architecture.md ("The WebSocket layer") says why.
//
// Stream is beast::tcp_stream (ws://: the socket is taken out of it) or
// beast::ssl_stream<beast::tcp_stream> (wss://); both are instantiated in
// ws_session_{tcp,tls}.cpp.
#pragma once

#include "protocol/engineio/handshake.hpp"
#include "protocol/websocket/frame.hpp"
#include "server/core/connection.hpp"
#include "server/core/handler_slot.hpp"
#include "server/websocket/context.hpp"
#include "server/engineio/eio_session.hpp"
#include "server/websocket/frame_queue.hpp"
#include "server/core/net.hpp"
#include "server/websocket/rate_limit.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace beastio::server {

template <class Stream>
class ws_session : public connection,
                   private eio_transport,
                   public std::enable_shared_from_this<ws_session<Stream>> {
public:
    enum class mode { plain, engine };

    // slot: this connection's place under --max-connections, held until destruction.
    ws_session(Stream&& stream, context& ctx, connection_slot slot, mode m, eio::handshake hs, std::string peer);
    ~ws_session() override;

    // Completes the WebSocket handshake for this upgrade request, then runs.
    void start(http::request<http::string_body> req);

    void deliver(out_frame frame) override;
    void deliver(std::span<const out_frame> frames) override;
    void deliver_volatile(std::span<const out_frame> frames) override;
    void close(close_cause cause) override;
    void run_on_strand(std::function<void()> f) override;
    cancel_fn run_after(std::chrono::milliseconds delay, std::function<void()> f) override;
    net::io_context* home() const noexcept override { return own_ioc_; }

private:
    using std::enable_shared_from_this<ws_session<Stream>>::shared_from_this;
    static constexpr bool tls = !std::is_same_v<Stream, beast::tcp_stream>;
    // What the session reads and writes: the TCP socket itself, or the TLS stream.
    using transport_type = std::conditional_t<tls, Stream, tcp::socket>;
    struct batch;

    tcp::socket& socket();
    void on_accept(beast::error_code ec, std::string target, handshake_ptr hs);
    void opened(std::string target, handshake_ptr hs);

    // ---- reading ----
    void do_read();
    void on_readable(beast::error_code ec);
    void read_failed(beast::error_code ec);
    // Bytes from the peer: frames parsed, unmasked, messages assembled. False: stop reading.
    bool on_bytes(char* data, std::size_t size);
    bool on_header(const ws::header& h);
    bool on_frame_done(char* payload, std::size_t size);
    bool on_peer_close(std::string_view payload);
    void on_message(std::string_view bytes, bool binary);
    bool protocol_error(std::uint16_t code, std::string detail);

    // eio_transport
    void send(out_frame f) override { enqueue(f); }
    void close(close_cause cause, std::string detail) override { start_close(cause, std::move(detail)); }
    void set_heartbeat_timer(std::chrono::milliseconds after) override { arm_heartbeat(after); }
    void cancel_connect_timer() override;
    void set_binary_timer(std::chrono::milliseconds after) override;

    // ---- writing ----
    // Whether the caller may act on the session here and now (it is on the session's thread).
    bool on_own_thread();
    // deliver() and deliver_volatile(): enqueue here, or on the session's thread.
    void deliver_packet(std::span<const out_frame> frames, bool droppable);
    void enqueue(const out_frame& f);
    // One packet: queued together. A droppable (volatile) one is dropped when frames already wait.
    // When nothing waits (a connection that keeps up) it is written at once, not queued.
    void enqueue(std::span<const out_frame> frames, bool droppable = false);
    // Writes what is owed (the pong, the keep-alive ping, the queued frames, the close frame) now,
    // as far as the socket takes it; the rest is copied aside and written when it is writable.
    void flush();
    // One write of what is owed, then `direct`: a packet that was never queued (nothing else
    // was). False when nothing more can go now: nothing was owed, the socket is full (a wait
    // is armed), the write failed, or the close frame went out.
    bool write_batch(std::span<const out_frame> direct = {});
    void collect(batch& b, std::span<const out_frame> direct);
    void taken(const batch& b, std::size_t written);
    void on_writable(beast::error_code ec);
    void on_tls_written(beast::error_code ec);
    void write_failed(beast::error_code ec);
    void queue_close(std::uint16_t code, std::string_view reason);
    void close_written();

    // defer_leave: decided inside a delivery (a send queue overflow): the
    // sockets leave in a handler of their own, right after, so no application
    // handler ever runs inside someone else's emit. code: the close code when
    // it is not the cause's own (a protocol error: 1002, 1007).
    void start_close(close_cause cause, std::string detail = {}, bool defer_leave = false, std::uint16_t code = 0);
    // The connection stops being a member of anything (plain hub, Socket.IO
    // namespaces) as soon as it is closing, not when the socket is gone.
    void leave(close_cause cause);
    void finish(close_cause cause);
    void drop_socket();
    void log_close(close_cause cause);

    // Runs f; an exception closes this connection (1011) instead of reaching the I/O thread.
    template <class F>
    void guarded(const char* where, F&& f);

    void arm_heartbeat(std::chrono::milliseconds after);
    void wait_heartbeat();
    void on_heartbeat(beast::error_code ec);
    void arm_keepalive();
    void on_keepalive(beast::error_code ec);
    void on_connect_timeout(beast::error_code ec);
    void on_binary_timeout(std::uint64_t generation, beast::error_code ec);

    transport_type io_;
    net::io_context* own_ioc_ = nullptr;  // its I/O loop (nullptr only on an executor of some other kind)
    context& ctx_;
    connection_slot slot_;
    const mode mode_;
    const eio::handshake handshake_;
    const std::string peer_;
    std::string id_;
    std::chrono::steady_clock::time_point opened_at_;

    // Reading: a frame header split across reads, the frame being read, the
    // message being assembled (fragments, or a frame split across reads).
    std::uint64_t message_limit_ = 0;
    std::uint64_t frame_left_ = 0;   // payload bytes of the current frame still to come
    std::uint64_t frame_offset_ = 0; // payload bytes of the current frame already read (the mask's phase)
    ws::header frame_{};
    std::array<char, ws::max_header_size> header_part_{};
    std::uint8_t header_part_size_ = 0;
    bool in_frame_ = false;
    bool in_message_ = false;
    bool message_binary_ = false;
    bool got_data_ = false;  // since the last keep-alive check (plain mode)
    std::string message_;
    std::string control_;  // a control frame's payload split across reads
    std::unique_ptr<char[]> tls_in_;  // TLS only: the stream reads into a buffer of its own

    // Writing.
    frame_queue queue_;
    std::string out_;          // written bytes' remainder (or a TLS batch), until the socket takes it
    std::size_t out_sent_ = 0;
    bool out_has_close_ = false;
    bool writing_ = false;     // an asynchronous wait or write is pending
    std::string pong_;         // the payload of the pong owed (to the latest ping)
    std::string close_frame_;  // the close frame, once the close is decided
    bool pong_owed_ = false;
    bool ping_owed_ = false;   // plain mode: a keep-alive ping
    bool ping_out_ = false;    // plain mode: a keep-alive ping went out, nothing came since
    bool close_owed_ = false;
    message_rate_limiter rate_;

    // Engine.IO: the heartbeat; plain mode: the keep-alive. A new deadline
    // later than the pending wait's does not cancel it: the wait ends early and
    // waits again for the rest (a pong moves the deadline on every heartbeat).
    net::steady_timer heartbeat_timer_;
    std::chrono::steady_clock::time_point heartbeat_due_{};
    bool heartbeat_waiting_ = false;
    // The deadlines of one phase at a time: the opening handshake, then joining
    // a namespace (Engine.IO), then the close handshake.
    net::steady_timer phase_timer_;
    bool connect_deadline_ = false;  // phase_timer_ is the connect timeout
    net::steady_timer binary_timer_;
    std::uint64_t binary_generation_ = 0;
    // The memory of the two waits an idle connection always has pending
    // (server/core/handler_slot.hpp). Measured with Boost 1.81 and GCC 12:
    // the plain-TCP read wait takes 208 bytes, the heartbeat wait 192; a
    // little room is left for other builds (a bigger one goes to the heap).
    handler_slot<224> read_slot_;
    handler_slot<208> heartbeat_slot_;

    bool accepted_ = false;
    bool closing_ = false;
    bool close_sent_ = false;
    bool peer_closed_ = false;   // the peer's close frame came
    bool hard_close_ = false;    // a protocol error: no close frame is awaited from the peer
    bool lingering_ = false;     // after a protocol error's close frame: reading to drop, until the peer's end
    bool draining_ = false;  // closing after the queued frames are written (server_disconnect)
    bool left_ = false;
    bool logged_ = false;
    bool finished_ = false;
    bool dropped_ = false;
    close_cause cause_ = close_cause::transport_close;
    std::uint16_t close_code_ = 0;  // the close code sent (the cause's, or a protocol error's)
    std::string detail_;  // what exactly was wrong, for the close log line

    std::optional<eio_session> eio_;
};

}  // namespace beastio::server
