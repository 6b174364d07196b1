// A Socket.IO namespace: its connection handlers and middleware, and the
// adapter that keeps its sockets and rooms and delivers its broadcasts.
#pragma once

#include "server/core/connection.hpp"
#include "server/socketio/sio_adapter.hpp"
#include "server/socketio/sio_broadcast.hpp"
#include "server/socketio/sio_limits.hpp"
#include "server/socketio/sio_middleware.hpp"
#include "server/socketio/sio_socket.hpp"
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace beastio::server {

using connection_handler = std::function<void(const socket_ptr&)>;
// A server-side event from another node (socket.io's serverSideEmit): its name and arguments.
using server_side_handler = std::function<void(const std::string& event, json::array& args)>;
// The answer to a server-side event that wants one (the first call counts).
using server_side_reply = std::function<void(json::value answer)>;
// A server-side event whose sender waits for each node's answer (serverSideEmitWithAck).
using server_side_request_handler =
    std::function<void(const std::string& event, json::array& args, const server_side_reply& reply)>;

class sio_dynamic_namespace;

class sio_namespace : public std::enable_shared_from_this<sio_namespace> {
public:
    // factory makes this namespace's adapter (sio_memory_adapter when empty).
    sio_namespace(std::string name, const sio_limits& limits, const adapter_factory& factory = {});
    sio_namespace(const sio_namespace&) = delete;
    sio_namespace& operator=(const sio_namespace&) = delete;

    const std::string& name() const { return name_; }

    // Register before the server starts.
    void on_connection(connection_handler h) { connection_handlers_.push_back(std::move(h)); }
    // Register before the server starts; they run in order for every CONNECT,
    // after the server-wide ones (sio_server::use).
    void use(middleware m) { middlewares_.push_back(std::move(m)); }

    // To every socket of the namespace; encodes once. Returns the recipient count.
    std::size_t emit(std::string_view event, const json::array& args = {}) { return sio_broadcast(*this).emit(event, args); }
    // A selection: to(room) / in(room), except(room), volatile_(), local(), then emit or a selection verb.
    sio_broadcast to(std::string room) { return sio_broadcast(*this).to(std::move(room)); }
    sio_broadcast in(std::string room) { return to(std::move(room)); }
    sio_broadcast except(std::string room) { return sio_broadcast(*this).except(std::move(room)); }
    sio_broadcast volatile_() { return sio_broadcast(*this).volatile_(); }
    sio_broadcast local() { return sio_broadcast(*this).local(); }
    // Every socket of the namespace (this node).
    std::vector<socket_ptr> fetch_sockets() const { return adapter_->sockets({}); }
    void sockets_join(const std::vector<std::string>& rooms) { adapter_->add_sockets({}, rooms); }
    void sockets_leave(const std::vector<std::string>& rooms) { adapter_->del_sockets({}, rooms); }
    void disconnect_sockets(bool close = false) { adapter_->disconnect_sockets({}, close); }

    // Queues one prebuilt frame for every socket of the namespace, sharing the
    // buffer. Returns the recipient count. Recovery never logs such a frame:
    // for an event, publish an event packet (broadcast_packet::event) instead.
    std::size_t broadcast_frame(const frame_ptr& frame);
    // To every socket of the namespace (see sio_broadcast::publish).
    broadcast_result publish(const broadcast_packet& packet) { return sio_broadcast(*this).publish(packet); }

    // Server-side events between the nodes of a cluster (socket.io's
    // serverSideEmit / io.on(event)): emit reaches this namespace on every other
    // node (nothing with one node); the handlers, registered before the server
    // starts, run for each one that arrives, on an adapter's thread.
    void server_side_emit(std::string_view event, const json::array& args = {});
    void on_server_side_event(server_side_handler h) { server_side_handlers_.push_back(std::move(h)); }
    // socket.io's serverSideEmit(event, ..., cb): every other node answers once
    // (its first request handler to reply), within timeout; done gets the
    // answers, with an error ("operation has timed out") when some node did not.
    void server_side_emit_with_ack(std::string_view event, const json::array& args, std::chrono::milliseconds timeout,
                                   broadcast_ack_done done);
    // The handlers that may answer one (io.on(event, (..., cb) => cb(answer))); they
    // also run, with a reply that goes nowhere, for an event that wants no answer.
    void on_server_side_request(server_side_request_handler h) { server_side_request_handlers_.push_back(std::move(h)); }
    // For adapters: a server-side event arrived (data: [event, args...]);
    // reply, when set, sends this node's answer (at most once).
    void deliver_server_side(json::array data, server_side_reply reply = {});
    // The rooms of every node (all_rooms of the adapter); done may run later, on another thread.
    void all_rooms(rooms_done done) { adapter_->all_rooms(std::move(done)); }

    std::size_t size() const { return adapter_->size(); }
    socket_ptr find(const std::string& sid) const { return adapter_->find(sid); }
    // The rooms that have at least one member, sorted (sockets' own id rooms are not listed).
    std::vector<std::string> room_names() const { return adapter_->rooms(); }

    sio_adapter& adapter() const { return *adapter_; }
    const sio_limits& limits() const { return limits_; }

private:
    friend class sio_socket;
    friend class sio_client;
    friend class sio_server;
    friend class sio_dynamic_namespace;

    // s joins the table; false (and nothing changed) when s has already left.
    bool add(const socket_ptr& s);
    void remove(sio_socket& s, bool keep_session);
    void run_connection_handlers(const socket_ptr& s);

    std::string name_;
    const sio_limits& limits_;
    std::vector<connection_handler> connection_handlers_;
    std::vector<server_side_handler> server_side_handlers_;
    std::vector<server_side_request_handler> server_side_request_handlers_;
    std::vector<middleware> middlewares_;
    std::unique_ptr<sio_adapter> adapter_;
    // Created by a dynamic namespace: its parent, and the sockets (joined or in
    // their CONNECT) that keep it in the registry; guarded by the registry's lock.
    sio_dynamic_namespace* parent_ = nullptr;
    sio_server* server_ = nullptr;
    std::size_t users_ = 0;
};

}  // namespace beastio::server
