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
#include "server/socketio/sio_recovery_log.hpp"
#include "server/websocket/connection_set.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
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

// A plain_hub whose messages carry increasing numbers (the integers service:
// the integer itself), kept for connection state recovery's window: a client
// that opens with ?after=N first gets every kept message numbered above N,
// in order, then the live ones, so a reconnect loses nothing. The kept
// frames are the buffers that were broadcast. N older than what is kept gives
// the oldest kept, and a log line; a replay longer than the send queue allows
// (options.max_replay_packets / _bytes) gives the newest that fit, and a log
// line. A malformed N closes the connection (1008 "invalid request").
class resumable_hub : public plain_endpoint {
public:
    // options.log.window 0: nothing is kept (?after= is then only checked).
    explicit resumable_hub(recovery_options options);

    void on_presence(std::function<void(int)> f) { presence_ = std::move(f); }
    void on_open(const std::shared_ptr<connection>& c, const plain_request& r) override;
    void on_close(connection& c) override;

    struct publish_result {
        std::size_t recipients = 0;
        bool stored = false;  // kept for clients that come back
    };
    // Thread-safe; numbers must increase from call to call.
    publish_result publish(std::int64_t number, const frame_ptr& f);
    std::size_t size() const { return set_.size(); }
    std::size_t kept() const;

private:
    struct entry {
        std::int64_t number;
        std::chrono::steady_clock::time_point at;
        frame_ptr frame;
    };
    void trim(std::chrono::steady_clock::time_point t);  // under mu_

    recovery_options options_;
    mutable std::mutex mu_;  // entries_, bytes_; held while a replay and a join happen together
    std::deque<entry> entries_;
    std::size_t bytes_ = 0;
    connection_set set_;
    std::function<void(int)> presence_;
};

}  // namespace beastio::server
