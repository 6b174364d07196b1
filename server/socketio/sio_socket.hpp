// One client's membership of one namespace: socket.io's Socket. Emits to
// its client, event and disconnect handlers, acknowledgements (with or
// without a timeout), rooms, the handshake and the application's data.
#pragma once

#include "protocol/json.hpp"
#include "server/core/connection.hpp"
#include "server/socketio/sio_ack.hpp"
#include "server/socketio/sio_adapter.hpp"
#include "server/socketio/sio_broadcast.hpp"
#include "server/socketio/sio_fwd.hpp"
#include "server/socketio/sio_handshake.hpp"
#include <atomic>
#include <chrono>
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
// Every incoming event, before its own handler (and also when it has none): socket.io's onAny.
using any_handler = std::function<void(const socket_ptr&, std::string_view event, const json::array& args)>;
using disconnect_handler = std::function<void(const socket_ptr&, std::string_view reason)>;

class sio_socket : public std::enable_shared_from_this<sio_socket> {
public:
    // pid: the private session id when the namespace's adapter recovers sessions.
    sio_socket(std::string id, std::shared_ptr<sio_namespace> nsp, std::weak_ptr<connection> conn, json::value auth,
               handshake_ptr handshake = nullptr, std::string pid = {});

    const std::string& id() const { return id_; }
    // The I/O loop of its connection (connection::home), fixed for its life.
    boost::asio::io_context* home() const noexcept { return home_; }
    // Where its connection lives in memory (never dereferenced): a fan-out
    // writes in this order (sio_adapter.cpp, group_by_loop).
    std::uintptr_t connection_address() const noexcept { return reinterpret_cast<std::uintptr_t>(conn_address_); }
    // The private session id of connection state recovery (empty when it is
    // off): sent to this client only, never to anyone else.
    const std::string& pid() const { return pid_; }
    // True when this socket resumed a session that connection state recovery
    // kept (same id, rooms and data; what it missed was replayed).
    bool recovered() const { return recovered_; }
    // Valid as long as this socket (a dynamic namespace may leave the registry before).
    sio_namespace& nsp() { return *nsp_; }
    // The CONNECT packet's auth object ({} when the client sent none): socket.handshake.auth.
    const json::value& auth() const { return auth_; }
    // The connection's upgrade request: headers, query, address, url, time.
    const sio_handshake& handshake() const;
    bool connected() const { return connected_.load(std::memory_order_acquire); }

    // socket.data: a JSON value the application owns (null at first). Thread-safe (a copy).
    json::value data() const;
    void set_data(json::value v);

    // Register in the connection handler (or in middleware); handlers run on the connection's strand.
    void on(std::string event, event_handler h) { handlers_[std::move(event)] = std::move(h); }
    void on_any(any_handler h) { any_handlers_.push_back(std::move(h)); }
    // Before the socket leaves its rooms (rooms() still lists them; emits to this socket no longer go).
    void on_disconnecting(disconnect_handler h) { disconnecting_handlers_.push_back(std::move(h)); }
    // After it left them. Neither runs for a socket whose CONNECT was refused or abandoned.
    void on_disconnect(disconnect_handler h) { disconnect_handlers_.push_back(std::move(h)); }

    // false when the name is reserved or the socket is gone.
    bool emit(std::string_view event, const json::array& args = {}) { return emit(event, args, false); }
    // Asks the client to acknowledge; cb runs on the connection's strand with the ack's arguments.
    // false when the name is reserved, the socket is gone, or sio_limits::max_pending_acks
    // acknowledgements are already outstanding (a client that never acks must
    // not grow the server's memory without bound).
    bool emit_with_ack(std::string_view event, const json::array& args, ack_callback cb);
    // The same with a deadline: cb runs once, with the ack's arguments, or with
    // ack_error "operation has timed out" after timeout, or "socket has been
    // disconnected" when the socket goes first. When it returns false cb never runs.
    bool emit_with_ack(std::string_view event, const json::array& args, std::chrono::milliseconds timeout,
                       timed_ack_callback cb);

    // socket.io's socket.timeout(ms).emit(event, ...args, cb).
    class timed {
    public:
        timed(sio_socket& s, std::chrono::milliseconds t) : s_(s), t_(t) {}
        bool emit_with_ack(std::string_view event, const json::array& args, timed_ack_callback cb) {
            return s_.emit_with_ack(event, args, t_, std::move(cb));
        }

    private:
        sio_socket& s_;
        std::chrono::milliseconds t_;
    };
    timed timeout(std::chrono::milliseconds t) { return timed(*this, t); }

    // Broadcasts from this socket: to(room) and broadcast() reach everyone
    // selected but this socket, as in socket.io.
    sio_broadcast to(std::string room) { return broadcast().to(std::move(room)); }
    sio_broadcast in(std::string room) { return to(std::move(room)); }
    sio_broadcast except(std::string room) { return broadcast().except(std::move(room)); }
    sio_broadcast broadcast();

    // socket.io's socket.volatile: emit() to this socket, or to(room) / broadcast()
    // (everyone selected but this socket), dropped rather than queued for a
    // connection that is not keeping up.
    class volatile_emitter {
    public:
        explicit volatile_emitter(sio_socket& s) : s_(s) {}
        bool emit(std::string_view event, const json::array& args = {}) { return s_.emit(event, args, true); }
        sio_broadcast to(std::string room) { return s_.to(std::move(room)).volatile_(); }
        sio_broadcast broadcast() { return s_.broadcast().volatile_(); }

    private:
        sio_socket& s_;
    };
    volatile_emitter volatile_() { return volatile_emitter(*this); }

    // false (and a log line) when the socket has left its namespace, the name
    // is longer than sio_limits::max_room_name_bytes, or the socket is already
    // in sio_limits::max_rooms_per_socket rooms; joining a room the socket is
    // in (or its own id) is true and changes nothing.
    bool join(const std::string& room);
    void leave(const std::string& room);
    // The rooms joined, sorted (the socket's own id room is implicit, not listed).
    std::vector<std::string> rooms() const;

    // Server-side namespace disconnect: sends DISCONNECT (41) and forgets the
    // socket; with close, closes the whole connection (every namespace on it).
    void disconnect(bool close = false);

    // Sends already encoded frames to this socket only.
    void send_frames(std::vector<out_frame> frames);
    // For adapters: queues one encoded packet, dropped when volatile and the connection lags.
    void deliver(const std::vector<out_frame>& frames, bool is_volatile);
    // For adapters fanning out to many sockets: asks the memory system early
    // for what deliver() reads first, this socket's members (prefetch), then
    // its connection's reference count and head (prefetch_connection, once
    // the socket's members are near). Hints only: nothing is read or kept.
    void prefetch() const noexcept {
        __builtin_prefetch(this);
        __builtin_prefetch(reinterpret_cast<const char*>(&connected_));
    }
    void prefetch_connection() const noexcept;
    // For adapters, while restoring a session into this socket (before anyone
    // else can see it): takes the session's id, pid and data.
    void adopt_session(const session_state& st);
    // For adapters: closes this socket's whole connection.
    void close_connection(close_cause cause);
    // For adapters: runs f on this socket's connection strand; false (and f
    // dropped) when the connection is gone already.
    bool run_on_connection(std::function<void()> f);
    // True once the socket has left its namespace for good (it never joins again).
    bool left() const { return left_.load(std::memory_order_seq_cst); }

private:
    friend class sio_namespace;
    friend class sio_client;
    friend class ack_sender;

    struct pending_ack {
        timed_ack_callback cb;
        connection::cancel_fn cancel;  // the timeout's, when there is one
    };

    // Called by sio_client on the connection strand.
    void dispatch_event(json::array& args, std::optional<std::uint64_t> ack_id);
    void dispatch_ack(std::uint64_t id, json::array& args);
    void send_ack(std::uint64_t id, const json::array& args);
    // Disconnect handlers, leave everything; keep_session: recovery may restore it.
    void finish(std::string_view reason, bool keep_session = false);
    // An application handler threw: log it, close the connection (1011).
    void handler_failed(std::string_view what, std::string_view error);
    bool emit(std::string_view event, const json::array& args, bool is_volatile);
    std::optional<std::uint64_t> register_ack(std::string_view event, pending_ack entry);
    void ack_timed_out(std::uint64_t id);
    void run_disconnect_handlers(std::vector<disconnect_handler>& handlers, std::string_view reason, const char* what);

    // What a delivery reads, together at the front (one or two cache lines; prefetch()).
    std::weak_ptr<connection> conn_;
    const connection* conn_address_ = nullptr;  // conn_'s object, only ever prefetched
    boost::asio::io_context* home_ = nullptr;
    std::atomic<bool> connected_{true};

    std::string id_;   // set before the socket is shared (adopt_session)
    std::string pid_;
    bool recovered_ = false;
    const std::shared_ptr<sio_namespace> nsp_;  // shared: a dynamic namespace may leave the registry first
    json::value auth_;
    handshake_ptr handshake_;
    std::atomic<bool> left_{false};
    std::atomic<bool> joined_{false};  // it joined its namespace (its CONNECT was accepted)
    bool acks_closed_ = false;  // finished: no more acknowledgements; guarded by mu_
    std::unordered_map<std::string, event_handler> handlers_;
    std::vector<any_handler> any_handlers_;
    std::vector<disconnect_handler> disconnecting_handlers_;
    std::vector<disconnect_handler> disconnect_handlers_;
    mutable std::mutex mu_;  // pending_acks_, next_ack_id_, acks_closed_, data_
    std::uint64_t next_ack_id_ = 0;
    std::unordered_map<std::uint64_t, pending_ack> pending_acks_;
    json::value data_;
};

}  // namespace beastio::server
