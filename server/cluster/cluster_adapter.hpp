// What the adapters of several nodes (redis_pubsub_adapter,
// redis_streams_adapter) offer beyond sio_adapter: a broadcast as the Redis
// command that sends it, for a publisher that sends it itself (the fenced
// script of the cluster's producer), and its delivery on this node once it
// went out.
#pragma once

#include "server/redis/redis_client.hpp"
#include "server/socketio/sio_adapter.hpp"

namespace beastio::server {

class cluster_adapter : public sio_adapter {
public:
    using sio_adapter::sio_adapter;

    // The command that sends a broadcast of data (["event", args...]) to every node.
    virtual redis::command publication(const json::value& data, const broadcast_options& opts) const = 0;
    // The publication went out: this node's clients get the packet as the
    // adapter's own broadcasts reach them (at once, or in the stream's order).
    virtual void published(const broadcast_packet& packet, const broadcast_options& opts) = 0;
};

}  // namespace beastio::server
