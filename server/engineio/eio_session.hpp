// The Engine.IO v4 side of one WebSocket connection, without Beast: the open
// packet, the heartbeat decisions, packet dispatch, and Socket.IO on top.
// ws_session owns the socket and the timers and drives this class on the
// connection's strand; tests drive it with a fake transport and no clock.
#pragma once

#include "protocol/engineio/packet.hpp"
#include "server/core/config.hpp"
#include "server/core/connection.hpp"
#include "server/socketio/sio_client.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace beastio::server {

// What eio_session asks of its owner. Every call happens on the connection's strand.
class eio_transport {
public:
    virtual void send(out_frame f) = 0;
    virtual void close(close_cause cause, std::string detail) = 0;
    // Replaces any pending heartbeat timer; its expiry calls on_heartbeat_timer().
    virtual void set_heartbeat_timer(std::chrono::milliseconds after) = 0;
    virtual void cancel_connect_timer() = 0;
    // Arms (after > 0) or cancels (0) the deadline of a binary packet whose
    // attachments are still arriving; its expiry calls on_binary_timer().
    virtual void set_binary_timer(std::chrono::milliseconds after) = 0;

protected:
    ~eio_transport() = default;
};

class eio_session {
public:
    eio_session(eio_transport& transport, const config& cfg, std::string sid, sio_server& io,
                std::weak_ptr<connection> conn, handshake_ptr handshake = nullptr);

    const std::string& sid() const { return sid_; }

    // Sends the open packet and arms the first ping.
    void open();
    // One WebSocket text or binary message from the client.
    void on_text(std::string_view frame);
    void on_binary(std::string bytes);
    // The heartbeat timer expired: a ping is due, or the pong is overdue.
    void on_heartbeat_timer();
    // connectTimeout passed: close unless a namespace was joined.
    void on_connect_timer();
    // --binary-timeout-ms passed since a binary header: close if its attachments are still missing.
    void on_binary_timer();
    // The connection ended: every Socket.IO socket disconnects with this
    // reason; keep_sessions: recovery may restore them (keeps_session()).
    void finish(std::string_view reason, bool keep_sessions) { sio_.close_all(reason, keep_sessions); }
    // The application sends the client away: DISCONNECT on every namespace.
    void disconnect_all() { sio_.disconnect_all(); }

    bool awaiting_pong() const { return awaiting_pong_; }

private:
    void on_message(std::string_view text, bool binary, std::string bytes);

    eio_transport& transport_;
    const config& cfg_;
    std::string sid_;
    sio_client sio_;
    bool awaiting_pong_ = false;
    bool binary_pending_ = false;
};

}  // namespace beastio::server
