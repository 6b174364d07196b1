// A Socket.IO namespace: its sockets and rooms, connection handlers and
// middleware, and broadcasts to it.
#pragma once

#include "server/core/connection.hpp"
#include "server/socketio/sio_broadcast.hpp"
#include "server/socketio/sio_limits.hpp"
#include "server/socketio/sio_middleware.hpp"
#include "server/socketio/sio_socket.hpp"
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace beastio::server {

class sio_namespace {
public:
    sio_namespace(std::string name, const sio_limits& limits) : name_(std::move(name)), limits_(limits) {}
    sio_namespace(const sio_namespace&) = delete;
    sio_namespace& operator=(const sio_namespace&) = delete;

    const std::string& name() const { return name_; }

    // Register before the server starts.
    void on_connection(std::function<void(const socket_ptr&)> h) { connection_handlers_.push_back(std::move(h)); }
    // Register before the server starts; they run in order for every CONNECT,
    // after the server-wide ones (sio_server::use).
    void use(middleware m) { middlewares_.push_back(std::move(m)); }

    // To every socket of the namespace; encodes once.
    std::size_t emit(std::string_view event, const json::array& args = {}) { return sio_broadcast(*this).emit(event, args); }
    sio_broadcast to(std::string room) { return sio_broadcast(*this).to(std::move(room)); }
    sio_broadcast except(std::string room) { return sio_broadcast(*this).except(std::move(room)); }

    // Queues one prebuilt frame (e.g. sio::encode_int_event_frame) for every
    // socket of the namespace, sharing the buffer. Returns the recipient count.
    std::size_t broadcast_frame(const frame_ptr& frame);

    std::size_t size() const;
    socket_ptr find(const std::string& sid) const;
    // The rooms that have at least one member, sorted.
    std::vector<std::string> room_names() const;

private:
    friend class sio_socket;
    friend class sio_broadcast;
    friend class sio_client;

    bool add(const socket_ptr& s);  // false when s has already left
    void remove(sio_socket& s);
    void run_connection_handlers(const socket_ptr& s);
    std::vector<socket_ptr> targets(const std::vector<std::string>& rooms, const std::vector<std::string>& except) const;

    std::string name_;
    const sio_limits& limits_;
    std::vector<std::function<void(const socket_ptr&)>> connection_handlers_;
    std::vector<middleware> middlewares_;
    mutable std::mutex mu_;
    std::unordered_map<std::string, socket_ptr> sockets_;
    std::unordered_map<std::string, std::unordered_set<std::string>> rooms_;          // room -> sids
    std::unordered_map<std::string, std::unordered_set<std::string>> socket_rooms_;   // sid -> rooms
};

}  // namespace beastio::server
