// A set of live connections: the registry of every open WebSocket connection
// (closed together on shutdown), and the members of a plain_hub. It observes,
// never owns: it holds weak pointers, copies them under the lock and delivers
// outside it.
#pragma once

#include "server/core/connection.hpp"

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

}  // namespace beastio::server
