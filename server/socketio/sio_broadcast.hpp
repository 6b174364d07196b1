// One operation on a selection of a namespace's sockets, as socket.io's
// BroadcastOperator: rooms (to / in), except, flags (volatile_, local), then
// an emit encoded once, or a selection verb (fetch_sockets, sockets_join,
// sockets_leave, disconnect_sockets). Everything goes through the adapter.
#pragma once

#include "protocol/json.hpp"
#include "server/socketio/sio_adapter.hpp"
#include "server/socketio/sio_fwd.hpp"
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace beastio::server {

class sio_broadcast {
public:
    explicit sio_broadcast(sio_namespace& nsp) : nsp_(nsp) {}
    sio_broadcast(sio_namespace& nsp, broadcast_options opts) : nsp_(nsp), opts_(std::move(opts)) {}

    // Adds a target room (a socket id is the room of that socket).
    sio_broadcast& to(std::string room) { opts_.rooms.push_back(std::move(room)); return *this; }
    sio_broadcast& in(std::string room) { return to(std::move(room)); }
    // Leaves out the members of a room (or the socket with this id).
    sio_broadcast& except(std::string room) { opts_.except.push_back(std::move(room)); return *this; }
    // Dropped, not queued, for connections that are not keeping up.
    sio_broadcast& volatile_() { opts_.is_volatile = true; return *this; }
    // This node only, when several nodes share an adapter.
    sio_broadcast& local() { opts_.local = true; return *this; }

    // Encodes once; returns how many sockets (of this node) it was queued for.
    // A reserved event name ("connect", "disconnect", ...) sends nothing and returns 0.
    std::size_t emit(std::string_view event, const json::array& args = {});
    // Queues a prebuilt packet (frames, or an event's encoder: see
    // broadcast_packet) sharing the buffers; returns the recipient count.
    std::size_t emit_frames(broadcast_packet packet);
    // The same, and whether recovery stored it (a packet stored but sent to
    // nobody still reaches the clients that come back).
    broadcast_result publish(const broadcast_packet& packet);
    // An emit every selected socket (of every node; of this one with local())
    // acknowledges within timeout, as socket.io's io.timeout(t).emit(event, ..., cb):
    // done gets each recipient's first ack argument, with an error when some
    // did not answer in time. Runs once, possibly later and on another thread.
    void emit_with_ack(std::string_view event, const json::array& args, std::chrono::milliseconds timeout,
                       broadcast_ack_done done);

    // The selected sockets of this node.
    std::vector<socket_ptr> fetch_sockets() const;
    // The selected sockets of every node (of this node only with local()): done
    // runs once, possibly later and on another thread (socket.io's fetchSockets()).
    void fetch_sockets(fetch_done done) const;
    void sockets_join(const std::vector<std::string>& rooms);
    void sockets_leave(const std::vector<std::string>& rooms);
    // Namespace disconnect (41) for each selected socket, or with close the whole connection.
    void disconnect_sockets(bool close = false);

    const broadcast_options& options() const { return opts_; }

private:
    sio_namespace& nsp_;
    broadcast_options opts_;
};

}  // namespace beastio::server
