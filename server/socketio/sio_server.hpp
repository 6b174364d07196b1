// The C++ API for applications, in the spirit of socket.io's server API:
//
//   auto& chat = io.of("/chat");
//   chat.on_connection([](const socket_ptr& s) {
//       s->on("message", [](const socket_ptr& s, json::array& args, const ack_sender& ack) {
//           s->to("room-1").emit("message", args);  // the room but the sender
//           ack(args);
//       });
//       s->join("room-1");
//   });
//   chat.to("room-1").emit("news", {json::value("hello")});
//
// Threading: connection and event handlers run on the connection's thread,
// one at a time per connection. emit, join, leave, disconnect and the
// selections may be called from any thread. Handlers are registered in the
// connection handler (or before the server starts, for namespaces). Every
// emit encodes its packet once; a broadcast shares the encoded frames among
// all recipients. Membership and delivery go through each namespace's
// adapter (sio_adapter.hpp).
//
// Middleware (use) runs before a socket joins its namespace, as socket.io's
// io.use / namespace.use: each calls next() to pass or next(error) to refuse
// the CONNECT with CONNECT_ERROR {"message":..., "data":...}; next may be
// called later and from any thread (after an asynchronous check).
//
// A handler that throws closes its own connection (1011) and is logged with
// its namespace and event; no exception reaches the I/O threads.
#pragma once

#include "server/socketio/sio_adapter.hpp"
#include "server/socketio/sio_limits.hpp"
#include "server/socketio/sio_middleware.hpp"
#include "server/socketio/sio_namespace.hpp"
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace beastio::server {

// Decides whether a CONNECT to a namespace nobody registered creates it. It
// runs on the connection's thread, from any I/O thread, without a lock held.
using namespace_predicate = std::function<bool(std::string_view name, const json::value& auth)>;

// socket.io's io.of(/regex/) or io.of(fn): a family of namespaces created on
// their first CONNECT. Handlers and middleware registered here (before the
// server starts) are those of every namespace it creates. A created namespace
// is removed again when its last socket has gone (socket.io's
// cleanupEmptyChildNamespaces), and a CONNECT that is refused leaves nothing.
class sio_dynamic_namespace {
public:
    explicit sio_dynamic_namespace(namespace_predicate p) : predicate_(std::move(p)) {}
    void on_connection(connection_handler h) { connection_handlers_.push_back(std::move(h)); }
    void use(middleware m) { middlewares_.push_back(std::move(m)); }
    // The namespaces it has created that exist now.
    std::vector<std::shared_ptr<sio_namespace>> children() const;
    // To every socket of every namespace it created.
    std::size_t emit(std::string_view event, const json::array& args = {});

private:
    friend class sio_server;
    namespace_predicate predicate_;
    std::vector<connection_handler> connection_handlers_;
    std::vector<middleware> middlewares_;
    mutable std::mutex mu_;
    std::vector<std::weak_ptr<sio_namespace>> children_;
};

// The namespace registry.
class sio_server {
public:
    // A namespace by name, created if needed. Call before the server starts;
    // namespaces it returns exist as long as the server (a dynamic one it names
    // is kept from then on).
    sio_namespace& of(const std::string& name);
    // Namespaces whose names match (the whole name) or satisfy the predicate
    // are created on their first CONNECT: at most sio_limits::max_dynamic_namespaces
    // at once, with names of at most sio_limits::max_dynamic_name_bytes. Register
    // before the server starts; the first that accepts a name wins.
    sio_dynamic_namespace& of(const std::regex& pattern);
    sio_dynamic_namespace& of(namespace_predicate predicate);

    // A namespace that exists now; never creates. Thread-safe.
    std::shared_ptr<sio_namespace> find(std::string_view name);
    // For sio_client: find, or create through a dynamic namespace; nullptr for
    // an invalid namespace. A namespace so obtained stays until release().
    std::shared_ptr<sio_namespace> resolve(std::string_view name, const json::value& auth);
    void release(sio_namespace& nsp);

    // To the main namespace "/" (socket.io's io.emit and io.to).
    std::size_t emit(std::string_view event, const json::array& args = {});
    sio_broadcast to(std::string room) { return of("/").to(std::move(room)); }
    // To every socket of every namespace, each namespace's packet encoded once.
    std::size_t emit_all_namespaces(std::string_view event, const json::array& args = {});
    // Every namespace that exists now.
    std::vector<std::shared_ptr<sio_namespace>> namespaces();

    // Middleware for every namespace, run before each namespace's own
    // (the server's --auth-token check is one). Register before the server starts.
    void use(middleware m) { middlewares_.push_back(std::move(m)); }
    const std::vector<middleware>& middlewares() const { return middlewares_; }

    // Set before the first namespace is created.
    void set_limits(const sio_limits& l) { limits_ = l; }
    const sio_limits& limits() const { return limits_; }
    // Makes each namespace's adapter; sio_memory_adapter when unset.
    void set_adapter_factory(adapter_factory f) { adapter_factory_ = std::move(f); }

    // Connection state recovery: sessions restored, and restores that failed
    // (the client got a fresh session), since start. Thread-safe.
    struct restore_counts {
        std::uint64_t restored = 0;
        std::uint64_t failed = 0;
    };
    restore_counts restores() const { return {restored_.load(), restore_failed_.load()}; }
    // For sio_client: counts one restore; returns the totals after it.
    restore_counts count_restore(bool ok) {
        if (ok) return {restored_.fetch_add(1) + 1, restore_failed_.load()};
        return {restored_.load(), restore_failed_.fetch_add(1) + 1};
    }

private:
    std::shared_ptr<sio_namespace> make(const std::string& name) const;
    void refuse_dynamic(std::string_view name) const;  // the log line; under mu_

    sio_limits limits_;
    adapter_factory adapter_factory_;
    std::vector<middleware> middlewares_;
    std::mutex mu_;
    std::map<std::string, std::shared_ptr<sio_namespace>, std::less<>> namespaces_;
    std::vector<std::unique_ptr<sio_dynamic_namespace>> dynamic_;
    std::size_t dynamic_live_ = 0;  // under mu_
    std::atomic<std::uint64_t> restored_{0};
    std::atomic<std::uint64_t> restore_failed_{0};
};

}  // namespace beastio::server
