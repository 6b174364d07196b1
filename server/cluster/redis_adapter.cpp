#include "server/cluster/redis_adapter.hpp"

#include "protocol/cluster/wire.hpp"
#include "protocol/socketio/broadcast.hpp"
#include "server/core/log.hpp"
#include "server/socketio/sio_frames.hpp"
#include "server/socketio/sio_namespace.hpp"
#include "server/socketio/sio_socket.hpp"

#include <span>

namespace beastio::server {
namespace {

log::throttle malformed_log{std::chrono::seconds(10)};

// A remote event, encoded on demand (once per broadcast, with an offset when recovery logs it).
broadcast_packet remote_packet(const std::string& nsp, std::shared_ptr<const json::value> data) {
    return broadcast_packet::event(
        [nsp, data](std::optional<std::string_view> offset) {
            const auto& a = data->as_array();
            const auto args = std::span<const json::value>(a).subspan(1);
            const auto& event = a.front().as_string();
            return to_frames(offset ? sio::encode_event_frame_with_offset(nsp, event, args, *offset)
                                    : sio::encode_event_frame(nsp, event, args));
        },
        [data] { return *data; });
}

}  // namespace

redis_pubsub_adapter::redis_pubsub_adapter(sio_namespace& nsp, cluster_node& node)
    : sio_adapter(nsp),
      node_(node),
      channel_(cluster_wire::broadcast_channel(node.options().key, nsp.name())),
      local_(std::make_unique<sio_memory_adapter>(nsp)) {
    sink_ = std::make_shared<channel_sink>(
        [this](std::string_view channel, std::string_view payload) { on_message(channel, payload); });
    // A room's channel while the room has a member here (called under the local adapter's lock, in order).
    local_->observe_rooms([this](const std::string& room, bool exists) {
        const auto ch = cluster_wire::room_channel(node_.options().key, this->nsp().name(), room);
        if (exists) node_.subscribe(ch, sink_);
        else node_.unsubscribe(ch);
    });
    node_.subscribe(channel_, sink_);
}

redis_pubsub_adapter::~redis_pubsub_adapter() {
    sink_->off();
    node_.unsubscribe(channel_);
    for (const auto& room : local_->rooms())
        node_.unsubscribe(cluster_wire::room_channel(node_.options().key, nsp().name(), room));
    std::lock_guard lock(mu_);
    for (const auto& sid : sid_channels_)
        node_.unsubscribe(cluster_wire::room_channel(node_.options().key, nsp().name(), sid));
}

void redis_pubsub_adapter::add_socket(const socket_ptr& s) {
    local_->add_socket(s);
    std::lock_guard lock(mu_);
    if (sid_channels_.insert(s->id()).second)
        node_.subscribe(cluster_wire::room_channel(node_.options().key, nsp().name(), s->id()), sink_);
}

void redis_pubsub_adapter::remove_socket(sio_socket& s, bool keep_session) {
    local_->remove_socket(s, keep_session);
    std::lock_guard lock(mu_);
    if (local_->find(s.id())) return;  // another socket holds the id now (a restored session)
    if (sid_channels_.erase(s.id()))
        node_.unsubscribe(cluster_wire::room_channel(node_.options().key, nsp().name(), s.id()));
}

void redis_pubsub_adapter::restore_session(const socket_ptr& s, const std::string& pid,
                                           const std::optional<std::string>& offset, restore_done done) {
    local_->restore_session(s, pid, offset, [this, s, done = std::move(done)](restore_outcome out) {
        if (out.recovered) {
            std::lock_guard lock(mu_);
            if (sid_channels_.insert(s->id()).second)
                node_.subscribe(cluster_wire::room_channel(node_.options().key, nsp().name(), s->id()), sink_);
        }
        done(std::move(out));
    });
}

sio_adapter::join_result redis_pubsub_adapter::join(const std::string& sid, const std::string& room,
                                                    std::size_t max_rooms) {
    return local_->join(sid, room, max_rooms);
}

void redis_pubsub_adapter::leave(const std::string& sid, const std::string& room) { local_->leave(sid, room); }

std::vector<std::string> redis_pubsub_adapter::socket_rooms(const std::string& sid) const {
    return local_->socket_rooms(sid);
}

std::pair<std::string, std::string> redis_pubsub_adapter::publication(const json::value& data,
                                                                      const broadcast_options& opts) const {
    cluster_wire::broadcast_message m;
    m.uid = node_.uid();
    m.nsp = nsp().name();
    m.data = data;
    m.rooms = opts.rooms;
    m.except = opts.except;
    m.flags.is_volatile = opts.is_volatile;
    // As the Node adapter: a broadcast to exactly one room goes on that room's channel.
    auto channel = opts.rooms.size() == 1
                       ? cluster_wire::room_channel(node_.options().key, nsp().name(), opts.rooms.front())
                       : channel_;
    return {std::move(channel), cluster_wire::encode_broadcast(m)};
}

broadcast_result redis_pubsub_adapter::broadcast(const broadcast_packet& packet, const broadcast_options& opts) {
    const auto result = local_->broadcast(packet, opts);  // never waits for Redis
    if (opts.local) return result;
    const auto data = packet.event_data();
    if (!data) {
        log::debug("cluster: a broadcast on {} that is no event stays on this node", nsp().name());
        return result;
    }
    auto [channel, message] = publication(*data, opts);
    ++published_;
    node_.commands().send({"PUBLISH", std::move(channel), std::move(message)}, [](const redis::reply& r) {
        if (r.is_error()) log::debug("cluster: a broadcast did not reach the other nodes: {}", r.str);
    });
    return result;
}

broadcast_result redis_pubsub_adapter::deliver_local(const broadcast_packet& packet, const broadcast_options& opts) {
    broadcast_options local = opts;
    local.local = true;
    return local_->broadcast(packet, local);
}

void redis_pubsub_adapter::on_message(std::string_view /*channel*/, std::string_view payload) {
    auto m = cluster_wire::decode_broadcast(payload);
    if (!m) {
        std::uint64_t suppressed = 0;
        if (malformed_log.allow(std::chrono::steady_clock::now(), &suppressed))
            log::warn("cluster: dropped a message on {} that is no broadcast: {} ({} more not logged)", channel_,
                      m.error().message, suppressed);
        return;
    }
    if (m->uid == node_.uid() || m->nsp != nsp().name()) return;
    ++received_;
    broadcast_options opts;
    opts.rooms = std::move(m->rooms);
    opts.except = std::move(m->except);
    opts.is_volatile = m->flags.is_volatile;
    opts.local = true;
    local_->broadcast(remote_packet(nsp().name(), std::make_shared<const json::value>(std::move(m->data))), opts);
}

void redis_pubsub_adapter::unicast(sio_socket& s, const broadcast_packet& packet, bool is_volatile) {
    local_->unicast(s, packet, is_volatile);
}

std::vector<socket_ptr> redis_pubsub_adapter::sockets(const broadcast_options& opts) const {
    return local_->sockets(opts);
}

std::size_t redis_pubsub_adapter::size() const { return local_->size(); }
socket_ptr redis_pubsub_adapter::find(const std::string& sid) const { return local_->find(sid); }
std::vector<std::string> redis_pubsub_adapter::rooms() const { return local_->rooms(); }

}  // namespace beastio::server
