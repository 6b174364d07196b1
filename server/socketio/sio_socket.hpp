// One client's membership of one namespace: socket.io's Socket. Emits to
// its client, event and disconnect handlers, acknowledgements, rooms.
#pragma once

#include "protocol/json.hpp"
#include "server/core/connection.hpp"
#include "server/socketio/sio_ack.hpp"
#include "server/socketio/sio_fwd.hpp"
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace beastio::server {

using event_handler = std::function<void(const socket_ptr&, json::array& args, const ack_sender& ack)>;
using ack_callback = std::function<void(json::array& args)>;
using disconnect_handler = std::function<void(const socket_ptr&, std::string_view reason)>;

class sio_socket : public std::enable_shared_from_this<sio_socket> {
public:
    sio_socket(std::string id, sio_namespace& nsp, std::weak_ptr<connection> conn, json::value auth);

    const std::string& id() const { return id_; }
    sio_namespace& nsp() { return nsp_; }
    const json::value& auth() const { return auth_; }
    bool connected() const { return connected_.load(std::memory_order_acquire); }

    // Register in the connection handler; handlers run on the connection's strand.
    void on(std::string event, event_handler h) { handlers_[std::move(event)] = std::move(h); }
    void on_disconnect(disconnect_handler h) { disconnect_handlers_.push_back(std::move(h)); }

    // false when the name is reserved or the socket is gone.
    bool emit(std::string_view event, const json::array& args = {});
    // Asks the client to acknowledge; cb runs on the connection's strand with the ack's arguments.
    // false when the name is reserved, the socket is gone, or sio_limits::max_pending_acks
    // acknowledgements are already outstanding (a client that never acks must
    // not grow the server's memory without bound).
    bool emit_with_ack(std::string_view event, const json::array& args, ack_callback cb);

    // false (and a log line) when the socket has left its namespace, the name
    // is longer than sio_limits::max_room_name_bytes, or the socket is already
    // in sio_limits::max_rooms_per_socket rooms; joining a room the socket is
    // in is true and changes nothing.
    bool join(const std::string& room);
    void leave(const std::string& room);
    std::vector<std::string> rooms() const;

    // Server-side namespace disconnect: sends DISCONNECT (41) and forgets the socket.
    void disconnect();

    // Sends already encoded frames to this socket only.
    void send_frames(std::vector<out_frame> frames);

private:
    friend class sio_namespace;
    friend class sio_client;
    friend class ack_sender;
    friend class sio_broadcast;

    // Called by sio_client on the connection strand.
    void dispatch_event(json::array& args, std::optional<std::uint64_t> ack_id);
    void dispatch_ack(std::uint64_t id, json::array& args);
    void send_ack(std::uint64_t id, const json::array& args);
    void finish(std::string_view reason);  // disconnect handlers, leave everything
    // An application handler threw: log it, close the connection (1011).
    void handler_failed(std::string_view what, std::string_view error);

    std::string id_;
    sio_namespace& nsp_;
    std::weak_ptr<connection> conn_;
    json::value auth_;
    std::atomic<bool> connected_{true};
    bool removed_ = false;  // left the namespace for good; guarded by nsp_.mu_
    bool acks_closed_ = false;  // finished: no more acknowledgements; guarded by ack_mu_
    std::unordered_map<std::string, event_handler> handlers_;
    std::vector<disconnect_handler> disconnect_handlers_;
    std::mutex ack_mu_;
    std::uint64_t next_ack_id_ = 0;
    std::unordered_map<std::uint64_t, ack_callback> pending_acks_;
};

}  // namespace beastio::server
