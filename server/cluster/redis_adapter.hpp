// The adapter of --redis-adapter pubsub: @socket.io/redis-adapter 8.x's
// protocol (classic pub/sub, msgpack payloads, its channel names), so Node
// socket.io nodes with that adapter, @socket.io/redis-emitter and beastio
// nodes form one cluster. docs/scaling.md.
//
// Membership and local delivery are a sio_memory_adapter's; a broadcast is
// delivered here at once (local delivery never waits for Redis) and published
// for the other nodes. Unlike the Node adapter, which pattern-subscribes to
// every broadcast of the namespace (socket.io #5226), a node subscribes to
// the namespace's channel and to the channel of each room that has a member
// here (a socket's own id room included), so a broadcast to one room reaches
// only the nodes that hold it. A remote broadcast is decoded once, encoded
// once and shared by every local recipient.
#pragma once

#include "server/cluster/cluster_adapter.hpp"
#include "server/cluster/cluster_node.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace beastio::server {

class redis_pubsub_adapter final : public cluster_adapter {
public:
    redis_pubsub_adapter(sio_namespace& nsp, cluster_node& node);
    ~redis_pubsub_adapter() override;

    void add_socket(const socket_ptr& s) override;
    void remove_socket(sio_socket& s, bool keep_session) override;
    join_result join(const std::string& sid, const std::string& room, std::size_t max_rooms) override;
    void leave(const std::string& sid, const std::string& room) override;
    std::vector<std::string> socket_rooms(const std::string& sid) const override;
    broadcast_result broadcast(const broadcast_packet& packet, const broadcast_options& opts) override;
    void unicast(sio_socket& s, const broadcast_packet& packet, bool is_volatile) override;
    std::vector<socket_ptr> sockets(const broadcast_options& opts) const override;
    std::size_t size() const override;
    socket_ptr find(const std::string& sid) const override;
    std::vector<std::string> rooms() const override;
    // Here and, through the request channel, on every other node (REMOTE_JOIN, REMOTE_LEAVE, REMOTE_DISCONNECT).
    void add_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) override;
    void del_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) override;
    void disconnect_sockets(const broadcast_options& opts, bool close) override;
    // Every node's answer (REMOTE_FETCH, ALL_ROOMS), or what came within --redis-timeout-ms.
    void fetch_all_sockets(const broadcast_options& opts, fetch_done done) override;
    void all_rooms(rooms_done done) override;
    void server_side_emit(const json::array& data) override;
    // SERVER_SIDE_EMIT with a requestId: each other node's answer on the response channels.
    void server_side_emit_with_ack(const json::array& data, std::chrono::milliseconds timeout,
                                   broadcast_ack_done done) override;
    // BROADCAST with acks (type 7): every node's recipient count, then their acks.
    void broadcast_with_ack(const std::string& event, const json::array& args, const broadcast_options& opts,
                            std::chrono::milliseconds timeout, broadcast_ack_done done) override;

    // Connection state recovery as socket.io's classic Redis adapter has it:
    // the in-memory log of this node, so a client recovers only when it comes
    // back to the same node (--redis-adapter streams recovers on any node).
    bool recovers() const override { return local_->recovers(); }
    void socket_done(sio_socket& s) override { local_->socket_done(s); }
    bool restore_skips_middlewares() const override { return local_->restore_skips_middlewares(); }
    void restore_session(const socket_ptr& s, const std::string& pid, const std::optional<std::string>& offset,
                         restore_done done) override;

    // PUBLISH on the broadcast's channel; once it went out, this node's sockets get it at once.
    redis::command publication(const json::value& data, const broadcast_options& opts) const override;
    void published(const broadcast_packet& packet, const broadcast_options& opts) override;

    // Counters for /status and the tests.
    std::uint64_t published() const { return published_.load(); }
    std::uint64_t received() const { return received_.load(); }

private:
    void on_message(std::string_view channel, std::string_view payload);
    void on_broadcast(std::string_view payload);
    // Another node's request (@socket.io/redis-adapter's request types), answered as a Node node does.
    void on_request(std::string_view payload);
    std::string response_channel_of(const std::string& requester) const;
    void respond(const std::string& requester, std::string payload);
    // {uid, type, ...members} on the request channel.
    void publish_request(long long type, json::object members);
    // An answer to one of our requests.
    void on_response(std::string_view payload);
    // Our requests waiting for the other nodes' answers, shared with their
    // callbacks (which may outlive the adapter of a dynamic namespace).
    struct requests;
    // Asks the other nodes (their count from PUBSUB NUMSUB of the request channel).
    void ask(long long type, json::object request, fetch_done on_sockets, rooms_done on_rooms,
             std::vector<remote_socket> mine, std::vector<std::string> my_rooms);

    cluster_node& node_;
    const std::string channel_;           // <key>#<nsp>#
    const std::string request_channel_;   // <key>-request#<nsp>#
    const std::string response_channel_;  // <key>-response#<nsp>#
    std::unique_ptr<sio_memory_adapter> local_;
    std::shared_ptr<channel_sink> sink_;
    std::mutex mu_;
    std::unordered_set<std::string> sid_channels_;  // under mu_: sockets whose id room is subscribed
    std::shared_ptr<requests> requests_;
    std::shared_ptr<cluster_util::ack_requests> acks_;
    std::atomic<std::uint64_t> published_{0}, received_{0};
};

}  // namespace beastio::server
