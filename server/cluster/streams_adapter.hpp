// The adapter of --redis-adapter streams (the default): the protocol of
// @socket.io/redis-streams-adapter 0.3.x, so Node socket.io nodes with that
// adapter and beastio nodes form one cluster, and a client cut by a deploy
// resumes its session on any node, after a restart of the node it was on, or
// after that node crashed. docs/scaling.md.
//
// - Broadcasts and the selection verbs (join, leave, disconnect) are entries
//   of one stream (XADD ... MAXLEN ~ --redis-stream-maxlen); the node's
//   stream_reader hands them over in order. Broadcasts with acks, server-side
//   emits and fetches go over pub/sub, as the Node adapter sends them.
// - With recovery on (--recovery-window-ms), a broadcast that recovery keeps
//   (an event, without ack, not volatile) reaches this node's sockets in the
//   stream's order, when the reader reads it back, with its entry id as its
//   offset: every client of every node sees one order, and its offset only
//   moves forward. Anything else is delivered here at once (local delivery
//   does not wait for Redis), and so is everything when Redis is away.
// - Sessions live in Redis (sio:session:<pid>, the Node adapter's key and
//   format) and are written when they change: when the socket connects,
//   joins or leaves a room, now and then while it lives (so a crashed node's
//   clients recover: socket.io #5413), and when it goes. A restore reads and
//   deletes the session (GETDEL), replays the stream from the client's offset
//   and joins the socket at the reader's position, so nothing is missed or
//   sent twice. A node that resumes a session tells the others, and the
//   one still holding it (a half-open connection) lets go without writing it.
#pragma once

#include "protocol/cluster/streams.hpp"
#include "server/cluster/cluster_adapter.hpp"
#include "server/cluster/cluster_node.hpp"
#include "server/cluster/stream_reader.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace beastio::server {

class redis_streams_adapter final : public cluster_adapter {
public:
    redis_streams_adapter(sio_namespace& nsp, cluster_node& node);
    ~redis_streams_adapter() override;

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
    void add_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) override;
    void del_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) override;
    void disconnect_sockets(const broadcast_options& opts, bool close) override;
    // Every node's answer to FETCH_SOCKETS (their count from PUBSUB NUMSUB), or what came within --redis-timeout-ms.
    void fetch_all_sockets(const broadcast_options& opts, fetch_done done) override;
    // The rooms of every node's sockets (a fetch of them all: the protocol has no request of its own for it).
    void all_rooms(rooms_done done) override;
    void server_side_emit(const json::array& data) override;
    // SERVER_SIDE_EMIT with a requestId: each other node's SERVER_SIDE_EMIT_RESPONSE.
    void server_side_emit_with_ack(const json::array& data, std::chrono::milliseconds timeout,
                                   broadcast_ack_done done) override;
    // BROADCAST with a requestId over pub/sub: every node's recipient count, then their acks.
    void broadcast_with_ack(const std::string& event, const json::array& args, const broadcast_options& opts,
                            std::chrono::milliseconds timeout, broadcast_ack_done done) override;

    bool recovers() const override { return window_.count() > 0; }
    bool restore_skips_middlewares() const override;
    void restore_session(const socket_ptr& s, const std::string& pid, const std::optional<std::string>& offset,
                         restore_done done) override;

    // XADD of the broadcast; once it went out, this node's sockets get it as the adapter's own broadcasts.
    redis::command publication(const json::value& data, const broadcast_options& opts) const override;
    void published(const broadcast_packet& packet, const broadcast_options& opts) override;

    std::uint64_t published_count() const { return published_.load(); }
    std::uint64_t received() const { return received_.load(); }

private:
    struct restore_job;
    struct requests;
    struct live_session {
        const sio_socket* socket = nullptr;
        std::string pid;
        std::string offset;  // where it started reading: what a client that got no event missed comes after it
    };

    // Whether recovery keeps a broadcast (socket.io's rule): an event without ack id, not volatile.
    bool stored(const broadcast_packet& packet, bool is_volatile) const {
        return recovers() && !is_volatile && packet.is_event();
    }
    cluster_wire::cluster_message message(cluster_wire::message_type t, json::value data) const;
    redis::command xadd(const cluster_wire::cluster_message& m) const;
    // A session's key and its record, from this node's view of the socket.
    std::string session_key(const std::string& pid) const;
    cluster_wire::session_record record_of(const sio_socket& s, const live_session& l) const;
    void send_session(const std::string& pid, std::string encoded, std::chrono::milliseconds ttl);
    // Under mu_: SET of the socket's session (ttl: how long it outlives a silence of this node).
    void write_session(const sio_socket& s, const live_session& l, std::chrono::milliseconds ttl);
    void refresh_sessions();
    void refresh_slice(std::shared_ptr<std::vector<std::weak_ptr<sio_socket>>> round, std::size_t from, std::size_t slice);
    // A live session's time to live: the window, past the longest gap between two refreshes of it.
    std::chrono::milliseconds live_ttl() const { return window_ + 2 * refresh_; }
    void arm_refresh();

    void on_entry(const cluster_wire::stream_id& id, const cluster_wire::cluster_message& m);
    void on_message(std::string_view channel, std::string_view payload);
    void on_ack_broadcast(const cluster_wire::cluster_message& m, const cluster_wire::broadcast_body& b);
    void respond(const std::string& requester, cluster_wire::message_type t, json::object data);
    void deliver_with_offset(const broadcast_packet& packet, const broadcast_options& opts, const std::string& offset);

    void scan(std::shared_ptr<restore_job> job);
    void adopt(std::shared_ptr<restore_job> job, int attempt);
    void give_back(restore_job& job);

    cluster_node& node_;
    stream_reader& reader_;
    const std::string public_channel_;   // <key>#<nsp>#
    const std::string private_channel_;  // <key>#<nsp>#<uid>#
    const std::chrono::milliseconds window_;   // recovery's window; 0: off
    const std::chrono::milliseconds refresh_;  // how often live sessions are written again
    std::unique_ptr<sio_memory_adapter> local_;
    std::shared_ptr<channel_sink> sink_;
    std::shared_ptr<entry_sink> entries_;
    std::shared_ptr<requests> requests_;
    std::shared_ptr<cluster_util::ack_requests> acks_;
    mutable std::mutex mu_;  // never held while taking the reader's lock
    std::unordered_map<std::string, live_session> live_;  // by sid, under mu_: the sockets whose session is written
    std::atomic<bool> refresh_armed_{false};
    std::atomic<std::uint64_t> published_{0}, received_{0};
};

}  // namespace beastio::server
