// One WebSocket connection: the only owner of the socket. It runs on its own
// strand; every async operation holds a shared_ptr to it, so it lives exactly
// as long as something is pending. It speaks either plain WebSocket (to the
// application's plain_endpoint) or Engine.IO v4 (heartbeat, packet framing)
// with Socket.IO on top.
//
// Stream is beast::tcp_stream (ws://) or beast::ssl_stream<beast::tcp_stream>
// (wss://); both are instantiated in ws_session.cpp.
#pragma once

#include "protocol/engineio/handshake.hpp"
#include "server/core/connection.hpp"
#include "server/websocket/context.hpp"
#include "server/engineio/eio_session.hpp"
#include "server/websocket/frame_queue.hpp"
#include "server/core/net.hpp"
#include "server/websocket/rate_limit.hpp"

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
    void deliver(std::vector<out_frame> frames) override;
    void deliver_volatile(std::vector<out_frame> frames) override;
    void close(close_cause cause) override;
    void run_on_strand(std::function<void()> f) override;
    cancel_fn run_after(std::chrono::milliseconds delay, std::function<void()> f) override;

private:
    using std::enable_shared_from_this<ws_session<Stream>>::shared_from_this;

    void on_accept(beast::error_code ec, std::string target, handshake_ptr hs);
    void opened(std::string target, handshake_ptr hs);
    void do_read();
    void on_read(beast::error_code ec, std::size_t bytes);
    void on_message();
    // eio_transport
    void send(out_frame f) override { enqueue(std::move(f)); }
    void close(close_cause cause, std::string detail) override { start_close(cause, std::move(detail)); }
    void set_heartbeat_timer(std::chrono::milliseconds after) override { arm_heartbeat(after); }
    void cancel_connect_timer() override { connect_timer_.cancel(); }
    void set_binary_timer(std::chrono::milliseconds after) override;

    void enqueue(out_frame f);
    // One packet: queued together. A droppable (volatile) one is dropped when frames already wait.
    void enqueue(std::span<out_frame> frames, bool droppable = false);
    void do_write();
    void on_write(beast::error_code ec, std::size_t bytes);

    // defer_leave: decided inside a delivery (a send queue overflow): the
    // sockets leave in a handler of their own, right after, so no application
    // handler ever runs inside someone else's emit.
    void start_close(close_cause cause, std::string detail = {}, bool defer_leave = false);
    void do_close();
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
    void on_heartbeat(std::uint64_t generation, beast::error_code ec);
    void on_connect_timeout(beast::error_code ec);
    void on_binary_timeout(std::uint64_t generation, beast::error_code ec);

    websocket::stream<Stream> ws_;
    context& ctx_;
    connection_slot slot_;
    const mode mode_;
    const eio::handshake handshake_;
    const std::string peer_;
    std::string id_;
    std::chrono::steady_clock::time_point opened_at_;

    beast::flat_buffer buffer_;
    frame_queue queue_;
    bool writing_ = false;
    message_rate_limiter rate_;

    net::steady_timer heartbeat_timer_;
    net::steady_timer connect_timer_;
    net::steady_timer close_timer_;
    net::steady_timer binary_timer_;
    std::uint64_t heartbeat_generation_ = 0;
    std::uint64_t binary_generation_ = 0;

    bool accepted_ = false;
    bool closing_ = false;
    bool close_sent_ = false;
    bool draining_ = false;  // closing after the queued frames are written (server_disconnect)
    bool left_ = false;
    bool logged_ = false;
    bool finished_ = false;
    close_cause cause_ = close_cause::transport_close;
    std::string detail_;  // what exactly was wrong, for the close log line

    std::optional<eio_session> eio_;
};

}  // namespace beastio::server
