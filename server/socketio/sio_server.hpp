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

#include "server/socketio/sio_limits.hpp"
#include "server/socketio/sio_middleware.hpp"
#include "server/socketio/sio_namespace.hpp"
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace beastio::server {

// The namespace registry. Namespaces are created before the server starts;
// a CONNECT for any other namespace gets CONNECT_ERROR "Invalid namespace".
class sio_server {
public:
    sio_namespace& of(const std::string& name);
    sio_namespace* find(std::string_view name);

    // Middleware for every namespace, run before each namespace's own
    // (the server's --auth-token check is one). Register before the server starts.
    void use(middleware m) { middlewares_.push_back(std::move(m)); }
    const std::vector<middleware>& middlewares() const { return middlewares_; }

    // Set before the server starts.
    void set_limits(const sio_limits& l) { limits_ = l; }
    const sio_limits& limits() const { return limits_; }

private:
    sio_limits limits_;
    std::vector<middleware> middlewares_;
    std::map<std::string, std::unique_ptr<sio_namespace>, std::less<>> namespaces_;
};

}  // namespace beastio::server
