// Sets of live connections: the plain-stream subscribers (who get the
// integers as bare text frames) and the registry of every open WebSocket
// connection (closed together on shutdown). Both observe, never own: they hold
// weak pointers, copy them under the lock and deliver outside it.
#pragma once

#include "server/connection.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace beastio::server {

class connection_set {
public:
    // Return the number of members after the change.
    std::size_t add(const std::shared_ptr<connection>& c);
    std::size_t remove(const connection* c);
    // Adds or removes; false when c was already (or was not) a member.
    bool insert(const std::shared_ptr<connection>& c);
    bool erase(const connection* c);
    std::size_t size() const;

    // Queues the frame on every live member; returns how many.
    std::size_t broadcast(const out_frame& f) const;
    // Closes every live member.
    void close_all(close_cause cause) const;

private:
    std::vector<std::shared_ptr<connection>> snapshot() const;

    mutable std::mutex mu_;
    std::unordered_map<const connection*, std::weak_ptr<connection>> members_;
};

// The plain stream: a connection_set plus a presence callback, so a producer
// can run only while someone listens.
class plain_hub {
public:
    // Set before the server starts. Called with +1 / -1, from any thread, once
    // per actual change of membership (a second join, or the leave of a
    // non-member, reports nothing).
    void on_presence(std::function<void(int)> f) { presence_ = std::move(f); }

    void join(const std::shared_ptr<connection>& c);
    void leave(const connection* c);
    std::size_t broadcast(const frame_ptr& f) const { return set_.broadcast(out_frame{f, false}); }
    std::size_t size() const { return set_.size(); }

private:
    connection_set set_;
    std::function<void(int)> presence_;
};

}  // namespace beastio::server
