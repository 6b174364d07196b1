// What the Socket.IO layer and the broadcasters need from a connection,
// without knowing it is a Beast WebSocket: queue frames, and close.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace beastio::server {

// One immutable WebSocket message body, shared by every recipient of a broadcast.
using frame_ptr = std::shared_ptr<const std::string>;

inline frame_ptr make_frame(std::string bytes) { return std::make_shared<const std::string>(std::move(bytes)); }

struct out_frame {
    frame_ptr data;
    bool binary = false;
};

// Why a connection ended. Each maps to a WebSocket close code and to the
// reason string the reference server reports to disconnect handlers.
enum class close_cause {
    transport_close,      // the peer closed or the TCP connection dropped
    ping_timeout,         // no pong within pingTimeout
    client_close,         // the client sent an Engine.IO close packet
    parse_error,          // an Engine.IO packet we could not parse
    decode_error,         // a malformed Socket.IO packet
    invalid_state,        // a Socket.IO packet not allowed in this state
    heartbeat_direction,  // the client sent a ping: v4 clients only answer pings
    connect_timeout,      // no namespace joined within connectTimeout
    too_big,              // a message over maxPayload
    send_queue_overflow,  // the client does not read fast enough
    server_shutdown,      // SIGTERM / SIGINT
    transport_error,      // a socket or protocol error below Engine.IO
    rate_limited,         // more messages per second than --max-messages-per-second
    binary_timeout,       // a binary packet's attachments did not all arrive in time
    handler_error,        // an application handler threw
    internal_error,       // an exception inside the server (e.g. out of memory)
    server_disconnect,    // the application closed the connection (sio_socket::disconnect(true))
    session_resumed,      // its client resumed the session on a new connection (connection state recovery)
    invalid_request,      // an upgrade whose query the endpoint refuses (e.g. a malformed ?after=)
};

struct close_info {
    std::uint16_t ws_code;
    std::string_view log_text;  // for our log line and the close frame's reason
    std::string_view sio_reason;  // what socket.io calls it (disconnect handlers)
};

close_info describe(close_cause c);

// Whether connection state recovery keeps the sessions of a connection that
// ended so: for the causes socket.io keeps them for (the transport went, a
// ping timeout, a forced close, the server shutting down), not when the client
// misbehaved, left, or the application sent it away.
bool keeps_session(close_cause c);

class connection {
public:
    virtual ~connection() = default;

    // Thread-safe. Queues the frames in order, as one unit: no other frame of
    // this connection is written between them. The frames are borrowed for
    // the call: a connection copies them (a reference each) only when they
    // must wait to be written or go to another thread.
    virtual void deliver(out_frame frame) = 0;
    virtual void deliver(std::span<const out_frame> frames) = 0;
    // Thread-safe. A volatile packet: queued like deliver() when nothing waits
    // to be written, dropped otherwise (socket.io's volatile emits).
    virtual void deliver_volatile(std::span<const out_frame> frames) = 0;

    // Thread-safe. Closes the connection with a WebSocket close frame.
    virtual void close(close_cause cause) = 0;

    // Thread-safe. Runs f on the connection's strand (inline when already there).
    virtual void run_on_strand(std::function<void()> f) = 0;

    // Thread-safe. Runs f on the connection's strand after the delay, unless
    // the returned cancel function is called first or the connection is gone
    // by then (f is dropped without running).
    using cancel_fn = std::function<void()>;
    virtual cancel_fn run_after(std::chrono::milliseconds delay, std::function<void()> f) = 0;

    // The I/O loop whose one thread runs this connection, fixed for its life;
    // nullptr when it has none of its own (a strand, a test's connection). A
    // fan-out hands each loop the deliveries of its connections in one task.
    virtual boost::asio::io_context* home() const noexcept { return nullptr; }
};

}  // namespace beastio::server
