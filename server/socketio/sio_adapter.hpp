// The adapter: the seam between a namespace and delivery, as socket.io's
// Adapter. It keeps who is in the namespace and in which rooms, and delivers
// a packet encoded once to a selection of sockets. sio_memory_adapter (this
// process only) is the default; adapters for several nodes (Redis) and for
// connection state recovery plug in here (sio_server::set_adapter_factory).
//
// Every socket is implicitly in the room named by its id, as in socket.io:
// to(sid) reaches that socket, except(sid) leaves it out. Such rooms cost
// nothing and are not listed by rooms() or socket_rooms().
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include "protocol/json.hpp"
#include "server/core/connection.hpp"
#include "server/socketio/sio_fwd.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace beastio::server {

// Which sockets a broadcast or a selection is for.
struct broadcast_options {
    std::vector<std::string> rooms;   // empty: every socket of the namespace
    std::vector<std::string> except;  // rooms whose members are left out
    bool is_volatile = false;         // dropped for a connection that is not keeping up
    bool local = false;               // this node only (for adapters of several nodes)
};

// One packet, encoded once: its frames are shared by every recipient.
struct broadcast_packet {
    std::vector<out_frame> frames;
};

// What connection state recovery keeps of a socket that went away (issue 9).
struct session_state {
    std::string sid;
    std::string pid;
    std::vector<std::string> rooms;
    json::value data;
};

class sio_adapter {
public:
    explicit sio_adapter(sio_namespace& nsp) : nsp_(nsp) {}
    virtual ~sio_adapter() = default;
    sio_adapter(const sio_adapter&) = delete;
    sio_adapter& operator=(const sio_adapter&) = delete;

    sio_namespace& nsp() const { return nsp_; }

    // ---- membership ----
    // s joins the namespace's table (its CONNECT was accepted).
    virtual void add_socket(const socket_ptr& s) = 0;
    // The socket leaves the table and every room.
    virtual void remove_socket(const std::string& sid) = 0;
    enum class join_result { joined, already_member, too_many_rooms };
    // A socket may join rooms before it is in the table (in middleware).
    virtual join_result join(const std::string& sid, const std::string& room, std::size_t max_rooms) = 0;
    virtual void leave(const std::string& sid, const std::string& room) = 0;
    // The rooms sid has joined, sorted.
    virtual std::vector<std::string> socket_rooms(const std::string& sid) const = 0;

    // ---- delivery ----
    // Queues the packet for every selected socket; returns how many (on this node).
    virtual std::size_t broadcast(const broadcast_packet& packet, const broadcast_options& opts) = 0;
    // A private emit to one socket of this node (sio_socket::emit, volatile_().emit); the default queues it.
    virtual void unicast(sio_socket& s, const broadcast_packet& packet, bool is_volatile);

    // ---- queries (this node) ----
    virtual std::vector<socket_ptr> sockets(const broadcast_options& opts) const = 0;
    virtual std::size_t size() const = 0;
    virtual socket_ptr find(const std::string& sid) const = 0;
    // The rooms with at least one member, sorted.
    virtual std::vector<std::string> rooms() const = 0;

    // ---- selections: the default acts on the selected sockets of this node ----
    virtual void add_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms);
    virtual void del_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms);
    // close: end the whole connection instead of leaving the namespace only.
    virtual void disconnect_sockets(const broadcast_options& opts, bool close);

    // ---- connection state recovery hooks (issue 9); the default keeps nothing ----
    virtual void persist_session(session_state) {}
    virtual std::optional<session_state> restore_session(const std::string& /*pid*/, const std::string& /*offset*/) {
        return std::nullopt;
    }

private:
    sio_namespace& nsp_;
};

using adapter_factory = std::function<std::unique_ptr<sio_adapter>(sio_namespace&)>;

// The default: this process's sockets and rooms, under one lock per namespace.
class sio_memory_adapter final : public sio_adapter {
public:
    using sio_adapter::sio_adapter;

    void add_socket(const socket_ptr& s) override;
    void remove_socket(const std::string& sid) override;
    join_result join(const std::string& sid, const std::string& room, std::size_t max_rooms) override;
    void leave(const std::string& sid, const std::string& room) override;
    std::vector<std::string> socket_rooms(const std::string& sid) const override;
    std::size_t broadcast(const broadcast_packet& packet, const broadcast_options& opts) override;
    std::vector<socket_ptr> sockets(const broadcast_options& opts) const override;
    std::size_t size() const override;
    socket_ptr find(const std::string& sid) const override;
    std::vector<std::string> rooms() const override;

private:
    // Under mu_.
    bool in_room(const std::string& sid, const std::string& room) const;
    bool excluded(const std::string& sid, const std::vector<std::string>& except) const;

    mutable std::mutex mu_;
    std::unordered_map<std::string, socket_ptr> sockets_;
    std::unordered_map<std::string, std::unordered_set<std::string>> rooms_;         // room -> sids
    std::unordered_map<std::string, std::unordered_set<std::string>> socket_rooms_;  // sid -> rooms
};

}  // namespace beastio::server
