// What the adapters of several nodes (redis_pubsub_adapter,
// redis_streams_adapter) offer beyond sio_adapter: a broadcast as the Redis
// command that sends it, for a publisher that sends it itself (the fenced
// script of the cluster's producer), and its delivery on this node once it
// went out.
#pragma once

#include "server/cluster/cluster_node.hpp"
#include "server/redis/redis_client.hpp"
#include "server/socketio/sio_adapter.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

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

// Helpers both adapters share.
namespace cluster_util {
// Another node's event (data: ["event", args...]), encoded on demand: once
// per delivery, with its offset when recovery keeps it.
broadcast_packet remote_event(const std::string& nsp, std::shared_ptr<const json::value> data);
// A member of an object (the last of duplicates); nullptr when v is no object or has none.
const json::value* member(const json::value& v, std::string_view key);
// The string, or "" when v is absent or no string.
std::string string_of(const json::value* v);
json::value strings_json(const std::vector<std::string>& v);
// A fetch's answer, as socket.io nodes send it: [{id, handshake, rooms, data}] of this node's selected sockets.
json::value local_sockets_json(sio_adapter& a, const broadcast_options& opts);
// Another node's answer to a fetch (the list above) added to out; nothing when list is no list.
void read_sockets(const json::value* list, std::vector<remote_socket>& out);

// Our broadcasts with acks and server-side events with acks, waiting for the
// other nodes' answers by request id; shared with the callbacks, which may
// outlive an adapter of a dynamic namespace.
class ack_requests : public std::enable_shared_from_this<ack_requests> {
public:
    // Keeps g under id until timeout, then ends it (what came, with the timeout error) and forgets it.
    void track(cluster_node& node, const std::string& id, std::shared_ptr<broadcast_ack_gather> g,
               std::chrono::milliseconds timeout);
    std::shared_ptr<broadcast_ack_gather> find(const std::string& id);

private:
    std::mutex mu_;
    std::unordered_map<std::string, std::shared_ptr<broadcast_ack_gather>> by_id_;
};

}  // namespace cluster_util

}  // namespace beastio::server
