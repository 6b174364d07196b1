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
#include "server/socketio/sio_ack.hpp"
#include "server/socketio/sio_fwd.hpp"
#include "server/socketio/sio_recovery_log.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
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
//
// An EVENT without an ack id is made from an encoder instead: with connection
// state recovery on, the adapter that keeps it encodes it once with its
// offset as the last argument (42["integer",17,"<offset>"]), and every
// recipient shares that. The encoder may refer to the emitter's arguments:
// an adapter that keeps a packet past the call keeps its frames, not the packet.
class broadcast_packet {
public:
    using encoder = std::function<std::vector<out_frame>(std::optional<std::string_view> offset)>;
    // The event's data (["event", args...]) as a tree, for an adapter that sends it to other nodes.
    using describer = std::function<json::value()>;

    broadcast_packet() = default;
    // Prebuilt frames (an ack, a raw frame): never logged for recovery.
    explicit broadcast_packet(std::vector<out_frame> frames) : frames_(std::move(frames)), encoded_(true) {}
    // An event recovery may log: encoded on demand, with or without an offset.
    static broadcast_packet event(encoder e, describer d = {}) {
        broadcast_packet p;
        p.encoder_ = std::move(e);
        p.describer_ = std::move(d);
        return p;
    }

    bool is_event() const { return static_cast<bool>(encoder_); }
    // The frames without an offset (an event is encoded on the first call).
    const std::vector<out_frame>& frames() const;
    // An event encoded with its recovery offset; frames() for anything else.
    std::vector<out_frame> frames_with_offset(std::string_view offset) const;
    // What another node needs to send it again: the EVENT's data (["event",
    // args...]), from the describer or else decoded from the frames; nullopt
    // when the frames are no Socket.IO EVENT (an ACK, a raw frame).
    std::optional<json::value> event_data() const;

private:
    encoder encoder_;
    describer describer_;
    mutable std::vector<out_frame> frames_;
    mutable bool encoded_ = false;
};

// What a broadcast did on this node.
struct broadcast_result {
    std::size_t recipients = 0;  // sockets it was queued for
    bool stored = false;         // kept for connection state recovery (sockets away may still get it)
};

// What connection state recovery keeps of a socket that went away.
struct session_state {
    std::string sid;
    std::string pid;
    std::vector<std::string> rooms;
    json::value data;
};

// How a restore went (sio_adapter::restore_session).
struct restore_outcome {
    bool recovered = false;
    std::string failure;       // why not, for the log (when !recovered)
    std::size_t replayed = 0;  // packets queued before the CONNECT reply
};
using restore_done = std::function<void(restore_outcome)>;

// A socket of any node, as a fetch across nodes gives it (socket.io's RemoteSocket).
struct remote_socket {
    std::string id;
    std::vector<std::string> rooms;  // its own id room first, as socket.io lists a socket's rooms
    json::value data;
    json::value handshake;           // socket.io's handshake object
    socket_ptr local;                // the socket itself when it is on this node; null otherwise
};
using fetch_done = std::function<void(std::vector<remote_socket> sockets)>;
using rooms_done = std::function<void(std::vector<std::string> rooms)>;
// What a broadcast with acks gathered: each recipient's first ack argument, and
// an error ("operation has timed out") when some did not answer in time.
using broadcast_ack_done = std::function<void(const std::optional<ack_error>& error, json::array responses)>;

// Gathers the answers to one broadcast with acks, from this node and others,
// as socket.io's BroadcastOperator does: complete when every node reported
// its recipient count and every recipient answered (or failed), or at the
// timeout with what came. done runs once. Thread-safe.
class broadcast_ack_gather {
public:
    explicit broadcast_ack_gather(broadcast_ack_done done) : done_(std::move(done)) {}
    // How many nodes take part, this one included (once).
    void expect_nodes(std::size_t n);
    // One node's recipients.
    void add_recipients(std::size_t n);
    void response(json::value first_arg);
    // A recipient that will not answer (it timed out, or went).
    void failure();
    void timed_out();
    bool finished() const;

private:
    void check(std::unique_lock<std::mutex>& lock);
    void finish(std::unique_lock<std::mutex>& lock, std::optional<ack_error> error);
    mutable std::mutex mu_;
    broadcast_ack_done done_;
    std::optional<std::size_t> nodes_;
    std::size_t reported_ = 0, recipients_ = 0, failures_ = 0;
    json::array responses_;
    bool finished_ = false;
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
    // The socket leaves the table and every room; nothing changes when
    // another socket holds its id now (its session was restored elsewhere).
    // keep_session: the connection ended so that recovery keeps the session
    // (keeps_session()); an adapter that recovers stores it now.
    virtual void remove_socket(sio_socket& s, bool keep_session) = 0;
    enum class join_result { joined, already_member, too_many_rooms };
    // A socket may join rooms before it is in the table (in middleware).
    virtual join_result join(const std::string& sid, const std::string& room, std::size_t max_rooms) = 0;
    virtual void leave(const std::string& sid, const std::string& room) = 0;
    // The rooms sid has joined, sorted.
    virtual std::vector<std::string> socket_rooms(const std::string& sid) const = 0;

    // ---- delivery ----
    // Queues the packet for every selected socket.
    virtual broadcast_result broadcast(const broadcast_packet& packet, const broadcast_options& opts) = 0;
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

    // ---- across nodes: the defaults are this node's answers (one node) ----
    // The selected sockets of every node. done runs once, possibly on another
    // thread; with nodes that do not answer in time it gets what came.
    virtual void fetch_all_sockets(const broadcast_options& opts, fetch_done done);
    // The rooms of every node (each socket's own room included, as socket.io lists them).
    virtual void all_rooms(rooms_done done);
    // A server-side event (data: [event, args...]) for the same namespace on every other node.
    virtual void server_side_emit(const json::array& /*data*/) {}
    // The same, with every other node's answer (socket.io's serverSideEmitWithAck):
    // done runs once with the answers, or at the timeout with an error and what came.
    // The default: no other node, so no answer to wait for.
    virtual void server_side_emit_with_ack(const json::array& /*data*/, std::chrono::milliseconds /*timeout*/,
                                           broadcast_ack_done done) {
        done(std::nullopt, {});
    }
    // A broadcast every selected socket (of every node) acknowledges, within
    // timeout (socket.io's io.timeout(t).emit(event, ..., cb)); the default
    // asks this node's sockets. done runs once, possibly on another thread.
    virtual void broadcast_with_ack(const std::string& event, const json::array& args, const broadcast_options& opts,
                                    std::chrono::milliseconds timeout, broadcast_ack_done done);
    // This node's part of one: its recipients are counted in g, and their answers go to it.
    void local_broadcast_with_ack(const std::string& event, const json::array& args, const broadcast_options& opts,
                                  std::chrono::milliseconds timeout, const std::shared_ptr<broadcast_ack_gather>& g);

    // ---- connection state recovery; the default keeps nothing ----
    // True when this adapter logs events with offsets and keeps sessions: the
    // CONNECT reply then carries a pid.
    virtual bool recovers() const { return false; }
    // The socket has finished: after remove_socket, its disconnect handlers have all run.
    virtual void socket_done(sio_socket& /*s*/) {}
    // Whether restored sockets skip the middlewares (socket.io's skipMiddlewares).
    virtual bool restore_skips_middlewares() const { return true; }
    // Tries to give s (a new socket, in no table yet) the session of pid. On
    // success the adapter has called s->adopt_session, put s in its rooms and
    // the table, and queued what the client missed since offset (nullopt: it
    // received no event yet) in order; a socket still connected under that pid
    // is closed first, and the session moves once that socket is done. done
    // runs once, possibly later and on any thread (or never, when the new
    // socket's connection is gone by then).
    virtual void restore_session(const socket_ptr& /*s*/, const std::string& /*pid*/,
                                 const std::optional<std::string>& /*offset*/, restore_done done) {
        done({false, "recovery is off", 0});
    }

private:
    sio_namespace& nsp_;
};

using adapter_factory = std::function<std::unique_ptr<sio_adapter>(sio_namespace&)>;

// The targets of a broadcast, grouped by their connections' I/O loops (sio_socket::home):
// each loop gets its group's deliveries in one task (--threads above 1).
struct target_list {
    struct run {
        boost::asio::io_context* home;
        std::size_t begin, end;
    };
    std::vector<socket_ptr> sockets;
    std::vector<run> runs;
};

// The default: this process's sockets and rooms, under one lock per
// namespace. With recovery on (the namespace's limits) it also keeps the
// recovery log and the sessions of sockets that went away.
class sio_memory_adapter final : public sio_adapter {
public:
    // with_recovery: keep the log and sessions when the namespace's limits turn
    // recovery on (false: an adapter of several nodes that recovers itself).
    explicit sio_memory_adapter(sio_namespace& nsp, bool with_recovery = true);
    ~sio_memory_adapter() override;

    void add_socket(const socket_ptr& s) override;
    void remove_socket(sio_socket& s, bool keep_session) override;
    join_result join(const std::string& sid, const std::string& room, std::size_t max_rooms) override;
    void leave(const std::string& sid, const std::string& room) override;
    std::vector<std::string> socket_rooms(const std::string& sid) const override;
    broadcast_result broadcast(const broadcast_packet& packet, const broadcast_options& opts) override;
    void unicast(sio_socket& s, const broadcast_packet& packet, bool is_volatile) override;
    std::vector<socket_ptr> sockets(const broadcast_options& opts) const override;
    std::size_t size() const override;
    socket_ptr find(const std::string& sid) const override;
    std::vector<std::string> rooms() const override;

    bool recovers() const override { return rec_ != nullptr; }
    void socket_done(sio_socket& s) override;
    bool restore_skips_middlewares() const override;
    void restore_session(const socket_ptr& s, const std::string& pid, const std::optional<std::string>& offset,
                         restore_done done) override;
    // Sessions kept now (tests, the log).
    std::size_t sessions_kept() const;

    // Called when a room gets its first member on this node (true) or loses
    // its last (false), under the adapter's lock, so the calls come in the
    // order the changes happened: an adapter of several nodes subscribes to
    // a room's channel only while the room exists here. It must not call
    // back into this adapter. Set it before the namespace has sockets.
    using room_observer = std::function<void(const std::string& room, bool exists)>;
    void observe_rooms(room_observer f) { room_observer_ = std::move(f); }

private:
    struct recovery;
    // A restore waiting for the socket that still holds its session to go.
    struct takeover {
        socket_ptr socket;
        std::optional<std::string> offset;
        restore_done done;
    };
    // Under mu_: s leaves the live sockets, its session is stored when kept.
    std::optional<takeover> forget_live(sio_socket& s, bool keep_session);
    // Under mu_.
    bool in_room(const std::string& sid, const std::string& room) const;
    bool excluded(const std::string& sid, const std::vector<std::string>& except) const;
    std::vector<socket_ptr> select(const broadcast_options& opts) const;
    // Under mu_. To every socket of the namespace (the integers' every tick)
    // it is a list kept from one broadcast to the next until a socket comes or
    // goes: one reference taken, not one per socket.
    std::shared_ptr<const target_list> targets(const broadcast_options& opts) const;
    void erase_socket(const std::string& sid);
    void add_to_room(const std::string& room, const std::string& sid);

    std::unique_ptr<recovery> rec_;  // null: recovery off
    room_observer room_observer_;
    mutable std::mutex mu_;
    std::unordered_map<std::string, socket_ptr> sockets_;
    mutable std::shared_ptr<const target_list> everyone_;  // sockets_ as a list; reset when it changes
    std::unordered_map<std::string, std::unordered_set<std::string>> rooms_;         // room -> sids
    std::unordered_map<std::string, std::unordered_set<std::string>> socket_rooms_;  // sid -> rooms
};

}  // namespace beastio::server
