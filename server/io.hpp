// The C++ API for applications, in the spirit of socket.io's server API:
//
//   auto& chat = io.of("/chat");
//   chat.on_connection([](const socket_ptr& s) {
//       s->on("message", [](const socket_ptr& s, json::array args, ack_sender ack) {
//           s->emit("message-back", args);
//           ack(args);
//       });
//       s->join("room-1");
//   });
//   chat.to("room-1").emit("news", {json::value("hello")});
//
// Threading: connection and event handlers run on the connection's strand,
// one at a time per connection. emit, join, leave and disconnect may be called
// from any thread. Handlers are registered in the connection handler (or
// before the server starts, for namespaces). Every emit encodes its packet
// once; a broadcast shares the encoded frames among all recipients.
//
// Middleware (use) runs before a socket joins its namespace, as socket.io's
// io.use / namespace.use: each calls next() to pass or next(error) to refuse
// the CONNECT with CONNECT_ERROR {"message":..., "data":...}; next may be
// called later and from any thread (after an asynchronous check).
//
// A handler that throws closes its own connection (1011) and is logged with
// its namespace and event; no exception reaches the I/O threads.
#pragma once

#include "protocol/json.hpp"
#include "protocol/socketio/packet.hpp"
#include "server/connection.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace beastio::server {

class socket;
class namespace_;
using socket_ptr = std::shared_ptr<socket>;

// An encoded packet as the frames to queue: the text, then one binary frame per attachment.
std::vector<out_frame> to_frames(sio::encoded&& e);
// Queues one packet's frames on c, together.
void deliver_frames(connection& c, const std::vector<out_frame>& frames);

// Answers one incoming event that asked for an acknowledgement. Calling it
// more than once sends one ACK; calling it when no ack was asked does nothing.
class ack_sender {
public:
    ack_sender() = default;
    ack_sender(std::weak_ptr<socket> s, std::uint64_t id) : state_(std::make_shared<state>(std::move(s), id)) {}

    bool wanted() const { return state_ != nullptr; }
    void operator()(json::array args = {}) const;

private:
    struct state {
        state(std::weak_ptr<socket> t, std::uint64_t i) : target(std::move(t)), id(i) {}
        std::weak_ptr<socket> target;
        std::uint64_t id;
        std::atomic<bool> sent{false};
    };
    std::shared_ptr<state> state_;
};

using event_handler = std::function<void(const socket_ptr&, json::array& args, const ack_sender& ack)>;
using ack_callback = std::function<void(json::array& args)>;
using disconnect_handler = std::function<void(const socket_ptr&, std::string_view reason)>;

// Why a middleware refused a CONNECT: sent as CONNECT_ERROR {"message":..., "data":...}.
struct connect_error {
    std::string message;
    std::optional<json::value> data{};
};

// Continues (no argument) or refuses (an error) a CONNECT. Call it once; later
// calls are ignored. Thread-safe; may be called after the middleware returned.
class middleware_next {
public:
    using resume_fn = std::function<void(std::optional<connect_error>)>;
    explicit middleware_next(resume_fn f) : state_(std::make_shared<state>(std::move(f))) {}

    void operator()() const { finish(std::nullopt); }
    void operator()(connect_error err) const { finish(std::move(err)); }

private:
    struct state {
        explicit state(resume_fn f) : resume(std::move(f)) {}
        resume_fn resume;
        std::atomic<bool> called{false};
    };
    void finish(std::optional<connect_error> err) const;
    std::shared_ptr<state> state_;
};

using middleware = std::function<void(const socket_ptr&, const middleware_next& next)>;

// Limits of the Socket.IO layer; every one has a flag (docs/reliability.md).
struct io_limits {
    std::size_t max_pending_acks = 1024;      // emit_with_ack awaiting the client, per socket
    std::size_t max_rooms_per_socket = 1000;  // join() beyond it is refused
    std::size_t max_namespaces = 32;          // per connection; CONNECT_ERROR beyond it
    std::size_t max_room_name_bytes = 256;    // join() of a longer name is refused
};

class socket : public std::enable_shared_from_this<socket> {
public:
    socket(std::string id, namespace_& nsp, std::weak_ptr<connection> conn, json::value auth);

    const std::string& id() const { return id_; }
    namespace_& nsp() { return nsp_; }
    const json::value& auth() const { return auth_; }
    bool connected() const { return connected_.load(std::memory_order_acquire); }

    // Register in the connection handler; handlers run on the connection's strand.
    void on(std::string event, event_handler h) { handlers_[std::move(event)] = std::move(h); }
    void on_disconnect(disconnect_handler h) { disconnect_handlers_.push_back(std::move(h)); }

    // false when the name is reserved or the socket is gone.
    bool emit(std::string_view event, const json::array& args = {});
    // Asks the client to acknowledge; cb runs on the connection's strand with the ack's arguments.
    // false when the name is reserved, the socket is gone, or io_limits::max_pending_acks
    // acknowledgements are already outstanding (a client that never acks must
    // not grow the server's memory without bound).
    bool emit_with_ack(std::string_view event, const json::array& args, ack_callback cb);

    // false (and a log line) when the socket has left its namespace, the name
    // is longer than io_limits::max_room_name_bytes, or the socket is already
    // in io_limits::max_rooms_per_socket rooms; joining a room the socket is
    // in is true and changes nothing.
    bool join(const std::string& room);
    void leave(const std::string& room);
    std::vector<std::string> rooms() const;

    // Server-side namespace disconnect: sends DISCONNECT (41) and forgets the socket.
    void disconnect();

    // Sends already encoded frames to this socket only.
    void send_frames(std::vector<out_frame> frames);

private:
    friend class namespace_;
    friend class sio_client;
    friend class ack_sender;
    friend class broadcast_op;

    // Called by sio_client on the connection strand.
    void dispatch_event(json::array& args, std::optional<std::uint64_t> ack_id);
    void dispatch_ack(std::uint64_t id, json::array& args);
    void send_ack(std::uint64_t id, const json::array& args);
    void finish(std::string_view reason);  // disconnect handlers, leave everything
    // An application handler threw: log it, close the connection (1011).
    void handler_failed(std::string_view what, std::string_view error);

    std::string id_;
    namespace_& nsp_;
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

// A set of target rooms (empty = the whole namespace) minus excluded rooms.
class broadcast_op {
public:
    explicit broadcast_op(namespace_& nsp) : nsp_(nsp) {}
    broadcast_op& to(std::string room) { rooms_.push_back(std::move(room)); return *this; }
    broadcast_op& except(std::string room) { except_.push_back(std::move(room)); return *this; }
    // Encodes once; returns how many sockets it was queued for.
    std::size_t emit(std::string_view event, const json::array& args = {});

private:
    namespace_& nsp_;
    std::vector<std::string> rooms_;
    std::vector<std::string> except_;
};

class namespace_ {
public:
    namespace_(std::string name, const io_limits& limits) : name_(std::move(name)), limits_(limits) {}
    namespace_(const namespace_&) = delete;
    namespace_& operator=(const namespace_&) = delete;

    const std::string& name() const { return name_; }

    // Register before the server starts.
    void on_connection(std::function<void(const socket_ptr&)> h) { connection_handlers_.push_back(std::move(h)); }
    // Register before the server starts; they run in order for every CONNECT,
    // after the server-wide ones (io_server::use).
    void use(middleware m) { middlewares_.push_back(std::move(m)); }

    // To every socket of the namespace; encodes once.
    std::size_t emit(std::string_view event, const json::array& args = {}) { return broadcast_op(*this).emit(event, args); }
    broadcast_op to(std::string room) { return broadcast_op(*this).to(std::move(room)); }
    broadcast_op except(std::string room) { return broadcast_op(*this).except(std::move(room)); }

    // Queues one prebuilt frame (e.g. sio::encode_int_event_frame) for every
    // socket of the namespace, sharing the buffer. Returns the recipient count.
    std::size_t broadcast_frame(const frame_ptr& frame);

    std::size_t size() const;
    socket_ptr find(const std::string& sid) const;
    // The rooms that have at least one member, sorted.
    std::vector<std::string> room_names() const;

private:
    friend class socket;
    friend class broadcast_op;
    friend class sio_client;

    bool add(const socket_ptr& s);  // false when s has already left
    void remove(socket& s);
    void run_connection_handlers(const socket_ptr& s);
    std::vector<socket_ptr> targets(const std::vector<std::string>& rooms, const std::vector<std::string>& except) const;

    std::string name_;
    const io_limits& limits_;
    std::vector<std::function<void(const socket_ptr&)>> connection_handlers_;
    std::vector<middleware> middlewares_;
    mutable std::mutex mu_;
    std::unordered_map<std::string, socket_ptr> sockets_;
    std::unordered_map<std::string, std::unordered_set<std::string>> rooms_;          // room -> sids
    std::unordered_map<std::string, std::unordered_set<std::string>> socket_rooms_;   // sid -> rooms
};

// The namespace registry. Namespaces are created before the server starts;
// a CONNECT for any other namespace gets CONNECT_ERROR "Invalid namespace".
class io_server {
public:
    namespace_& of(const std::string& name);
    namespace_* find(std::string_view name);

    // Middleware for every namespace, run before each namespace's own
    // (the server's --auth-token check is one). Register before the server starts.
    void use(middleware m) { middlewares_.push_back(std::move(m)); }
    const std::vector<middleware>& middlewares() const { return middlewares_; }

    // Set before the server starts.
    void set_limits(const io_limits& l) { limits_ = l; }
    const io_limits& limits() const { return limits_; }

private:
    io_limits limits_;
    std::vector<middleware> middlewares_;
    std::map<std::string, std::unique_ptr<namespace_>, std::less<>> namespaces_;
};

}  // namespace beastio::server
