// The Socket.IO side of one connection: namespaces joined, packet dispatch,
// binary reassembly. No Beast: it talks to the connection through the
// connection interface and is driven by ws_session on the connection strand.
#pragma once

#include "protocol/socketio/packet.hpp"
#include "server/connection.hpp"
#include "server/io.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace beastio::server {

class sio_client {
public:
    sio_client(io_server& io, std::weak_ptr<connection> conn, std::size_t max_attachments);

    // Each returns the cause when the connection must close, nullopt otherwise.
    std::optional<close_cause> on_text(std::string_view text);
    std::optional<close_cause> on_binary(std::string bytes);

    // Why the last call asked to close the connection (for the log).
    const std::string& last_error() const { return last_error_; }

    // True while at least one namespace is joined.
    bool joined_any();

    // The connection ended: every socket disconnects with this reason.
    void close_all(std::string_view reason);

private:
    std::optional<close_cause> handle(sio::packet& p);
    std::optional<close_cause> refuse(close_cause c, std::string why);
    std::optional<close_cause> on_connect(sio::packet& p);
    socket_ptr joined(const std::string& nsp);
    void send(const sio::packet& p);

    io_server& io_;
    std::weak_ptr<connection> conn_;
    sio::reassembler reassembler_;
    std::map<std::string, socket_ptr, std::less<>> sockets_;  // by namespace
    std::string last_error_;
};

}  // namespace beastio::server
