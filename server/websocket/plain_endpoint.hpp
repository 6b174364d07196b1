// The plain WebSocket endpoint: upgrades under /_ws/ (and bare /socket.io/
// ones) that speak no Engine.IO. The application decides what such a
// connection gets; the integers service streams one integer per text frame
// through a plain_hub. Without an endpoint (context::plain is empty) plain
// connections are accepted, read and dropped, and get nothing.
//
// Every call for one connection happens on that connection's strand, in the
// order open, messages, close; close comes exactly once, as soon as the
// connection starts closing (not when its socket is gone).
#pragma once

#include "server/core/connection.hpp"
#include "server/websocket/connection_set.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace beastio::server {

struct plain_request {
    std::string target;  // the request target: path and query, as the client sent it
    std::string peer;    // the client's address:port (or the proxy's)
};

class plain_endpoint {
public:
    virtual ~plain_endpoint() = default;
    // After the 101; c stays valid (and deliverable) until on_close.
    virtual void on_open(const std::shared_ptr<connection>& c, const plain_request& r) = 0;
    // A message from the client (at most --max-plain-message-bytes); dropped by default.
    virtual void on_message(connection&, std::string_view /*data*/, bool /*binary*/) {}
    virtual void on_close(connection& c) = 0;
};

// A ready-made plain endpoint: every plain connection joins one set, and
// broadcast() sends a text frame to all of them (one shared buffer). The
// presence callback lets a producer run only while someone listens.
class plain_hub : public plain_endpoint {
public:
    // Set before the server starts. Called with +1 / -1, from any thread, once
    // per actual change of membership (a second join, or the leave of a
    // non-member, reports nothing).
    void on_presence(std::function<void(int)> f) { presence_ = std::move(f); }

    void on_open(const std::shared_ptr<connection>& c, const plain_request&) override { join(c); }
    void on_close(connection& c) override { leave(&c); }

    void join(const std::shared_ptr<connection>& c);
    void leave(const connection* c);
    std::size_t broadcast(const frame_ptr& f) const { return set_.broadcast(out_frame{f, false}); }
    std::size_t size() const { return set_.size(); }

private:
    connection_set set_;
    std::function<void(int)> presence_;
};

}  // namespace beastio::server
