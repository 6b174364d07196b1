// The Socket.IO side of one connection: namespaces joined, CONNECT through the
// middleware chain, packet dispatch, binary reassembly. No Beast: it talks to
// the connection through the connection interface and is driven by the
// session on the connection strand.
#pragma once

#include "protocol/socketio/packet.hpp"
#include "server/core/connection.hpp"
#include "server/socketio/sio_server.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace beastio::server {

class sio_client {
public:
    // options bounds what one connection's reassembler may hold.
    // handshake: the upgrade request, shared by the connection's sockets (may be null).
    sio_client(sio_server& io, std::weak_ptr<connection> conn, sio::decode_options options,
               handshake_ptr handshake = nullptr);

    // Each returns the cause when the connection must close, nullopt otherwise.
    std::optional<close_cause> on_text(std::string_view text);
    std::optional<close_cause> on_binary(std::string bytes);

    // Why the last call asked to close the connection (for the log).
    const std::string& last_error() const { return last_error_; }

    // True while at least one namespace is joined.
    bool joined_any();
    // True while a binary packet waits for attachments.
    bool binary_pending() const { return reassembler_.pending(); }

    // The connection ended: every socket disconnects with this reason, and
    // CONNECTs still in their middleware are dropped. keep_sessions: the way
    // it ended lets connection state recovery keep the sessions (keeps_session()).
    void close_all(std::string_view reason, bool keep_sessions = false);
    // The application sends the client away (sio_socket::disconnect(true)):
    // DISCONNECT on every joined namespace, each socket finishes.
    void disconnect_all();

private:
    std::optional<close_cause> handle(sio::packet& p);
    std::optional<close_cause> refuse(close_cause c, std::string why);
    std::optional<close_cause> on_connect(sio::packet& p);
    std::optional<close_cause> decode_failed(const error_info<sio::errc>& e);
    socket_ptr joined(const std::string& nsp);
    void send(const sio::packet& p);
    void send_connect_error(const std::string& nsp, const connect_error& err);

    // The CONNECT of s waits for middleware number index (io's, then the namespace's).
    void run_middlewares(const socket_ptr& s, sio_namespace& nsp, std::size_t index);
    void complete_connect(const socket_ptr& s, sio_namespace& nsp);
    void accept(const socket_ptr& s, sio_namespace& nsp);  // a fresh session joins
    void send_connect_reply(const sio_socket& s, const sio_namespace& nsp);

    // Connection state recovery: a CONNECT that brings back {pid, offset}.
    struct restore_request {
        std::string pid;
        std::optional<std::string> offset;
    };
    static std::optional<restore_request> restore_request_of(const sio_socket& s);
    enum class after_failed_restore { run_middlewares, accept };
    void try_restore(const socket_ptr& s, sio_namespace& nsp, after_failed_restore then);
    void restored(const socket_ptr& s, sio_namespace& nsp, const restore_outcome& out, after_failed_restore then);
    void refuse_connect(const socket_ptr& s, sio_namespace& nsp, const connect_error& err);
    bool is_pending(const socket_ptr& s, const sio_namespace& nsp) const;

    sio_server& io_;
    std::weak_ptr<connection> conn_;
    handshake_ptr handshake_;
    sio::reassembler reassembler_;
    std::map<std::string, socket_ptr, std::less<>> sockets_;  // by namespace
    std::map<std::string, socket_ptr, std::less<>> pending_;  // CONNECTs in their middleware, by namespace
    std::string last_error_;
    bool closed_ = false;
};

}  // namespace beastio::server
