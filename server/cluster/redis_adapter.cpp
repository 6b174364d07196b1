#include "server/cluster/redis_adapter.hpp"

#include "protocol/cluster/wire.hpp"
#include "protocol/msgpack/msgpack.hpp"
#include "protocol/socketio/broadcast.hpp"
#include "server/core/log.hpp"
#include "server/socketio/sio_frames.hpp"
#include "server/socketio/sio_namespace.hpp"
#include "server/socketio/sio_socket.hpp"

#include <charconv>
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
      request_channel_(fmt::format("{}-request#{}#", node.options().key, nsp.name())),
      response_channel_(fmt::format("{}-response#{}#", node.options().key, nsp.name())),
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
    // Requests from the other nodes (and the emitter), answered on the requester's own response channel.
    node_.subscribe(request_channel_, sink_);
}

redis_pubsub_adapter::~redis_pubsub_adapter() {
    sink_->off();
    node_.unsubscribe(channel_);
    node_.unsubscribe(request_channel_);
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

void redis_pubsub_adapter::on_message(std::string_view channel, std::string_view payload) {
    if (channel == request_channel_) return on_request(payload);
    on_broadcast(payload);
}

namespace {

const json::value* member(const json::value& v, std::string_view key) { return v.is_object() ? v.find(key) : nullptr; }

std::string string_of(const json::value* v) { return v && v->is_string() ? v->as_string() : std::string(); }

std::optional<long long> integer_of(const json::value* v) {
    if (!v || !v->is_number()) return std::nullopt;
    const auto& t = v->as_number().text;
    long long n = 0;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec != std::errc{} || p != t.data() + t.size()) return std::nullopt;
    return n;
}

std::vector<std::string> names_of(const json::value* v) {
    std::vector<std::string> out;
    if (!v || !v->is_array()) return out;
    for (const auto& e : v->as_array()) {
        if (e.is_string()) out.push_back(e.as_string());
        else if (e.is_number()) out.push_back(e.as_number().text);  // a numeric room of a JS node
    }
    return out;
}

json::value strings_json(const std::vector<std::string>& v) {
    json::array a;
    a.reserve(v.size());
    for (const auto& s : v) a.emplace_back(s);
    return json::value(std::move(a));
}

enum request_type : long long {
    sockets_request = 0,
    all_rooms = 1,
    remote_join = 2,
    remote_leave = 3,
    remote_disconnect = 4,
    remote_fetch = 5,
    server_side_emit = 6,
    broadcast_with_ack = 7,
    broadcast_client_count = 8,
    broadcast_ack = 9,
};

}  // namespace

void redis_pubsub_adapter::respond(const std::string& requester, std::string payload) {
    // The requester's own channel: a Node node listens on it and on the shared one; the others are spared.
    const auto channel = requester.empty() ? response_channel_ : response_channel_ + requester + "#";
    node_.commands().send({"PUBLISH", channel, std::move(payload)});
}

void redis_pubsub_adapter::publish_request(const json::value& request) {
    node_.commands().send({"PUBLISH", request_channel_, json::serialize(request)});
}

void redis_pubsub_adapter::on_request(std::string_view payload) {
    json::value req;
    if (!payload.empty() && payload.front() == '{') {
        auto parsed = json::parse(payload);
        if (!parsed) return log::debug("cluster: an unreadable request on {}: {}", request_channel_, parsed.error().message);
        req = std::move(*parsed);
    } else {
        auto decoded = msgpack::decode(payload);
        if (!decoded) return log::debug("cluster: an unreadable request on {}: {}", request_channel_, decoded.error().message);
        req = cluster_wire::to_json(*decoded);
    }
    const auto type = integer_of(member(req, "type"));
    const std::string uid = string_of(member(req, "uid"));
    if (!type || uid == node_.uid()) return;
    const std::string request_id = string_of(member(req, "requestId"));
    broadcast_options opts;
    const json::value* o = member(req, "opts");
    if (o) {
        opts.rooms = names_of(member(*o, "rooms"));
        opts.except = names_of(member(*o, "except"));
    }
    const auto answer = [&](json::object more) {
        json::object body{{"requestId", json::value(request_id)}};
        for (auto& m : more) body.push_back(std::move(m));
        respond(uid, json::serialize(json::value(std::move(body))));
    };
    switch (*type) {
        case sockets_request: {
            opts.rooms = names_of(member(req, "rooms"));
            std::vector<std::string> ids;
            for (const auto& s : local_->sockets(opts)) ids.push_back(s->id());
            return answer({{"sockets", strings_json(ids)}});
        }
        case all_rooms: {
            auto names = local_->rooms();
            for (const auto& s : local_->sockets({})) names.push_back(s->id());  // each socket's own room, as Node lists it
            return answer({{"rooms", strings_json(names)}});
        }
        case remote_join:
        case remote_leave: {
            const bool join = *type == remote_join;
            if (o) {
                const auto rooms = names_of(member(req, "rooms"));
                for (const auto& s : local_->sockets(opts))
                    for (const auto& r : rooms) join ? (void)s->join(r) : s->leave(r);
                return;
            }
            auto s = local_->find(string_of(member(req, "sid")));
            if (!s) return;
            const auto room = string_of(member(req, "room"));
            if (join) s->join(room);
            else s->leave(room);
            return answer({});
        }
        case remote_disconnect: {
            const json::value* c = member(req, "close");
            const bool close = c && c->is_bool() && c->as_bool();
            if (o) {
                for (const auto& s : local_->sockets(opts)) s->disconnect(close);
                return;
            }
            auto s = local_->find(string_of(member(req, "sid")));
            if (!s) return;
            s->disconnect(close);
            return answer({});
        }
        case remote_fetch: {
            json::array found;
            for (const auto& s : local_->sockets(opts)) {
                auto rooms = s->rooms();
                rooms.insert(rooms.begin(), s->id());  // a Node socket lists its own room first
                found.emplace_back(json::object{{"id", json::value(s->id())},
                                                {"handshake", s->handshake().to_json(s->auth())},
                                                {"rooms", strings_json(rooms)},
                                                {"data", s->data()}});
            }
            return answer({{"sockets", json::value(std::move(found))}});
        }
        case broadcast_with_ack: {
            // A broadcast whose every recipient acknowledges: the count first, then each ack (msgpack, as Node).
            const json::value* packet = member(req, "packet");
            const json::value* data = packet ? member(*packet, "data") : nullptr;
            if (!data || !data->is_array() || data->as_array().empty() || !data->as_array()[0].is_string()) return;
            std::chrono::milliseconds timeout(5000);
            const json::value* flags = o ? member(*o, "flags") : nullptr;
            if (const auto t = integer_of(flags ? member(*flags, "timeout") : nullptr); t && *t > 0)
                timeout = std::chrono::milliseconds(*t);
            const auto& a = data->as_array();
            const std::string event = a.front().as_string();
            const json::array args(a.begin() + 1, a.end());
            const auto targets = local_->sockets(opts);
            answer({{"type", json::value(static_cast<long long>(broadcast_client_count))},
                    {"clientCount", json::value(static_cast<unsigned long>(targets.size()))}});
            for (const auto& s : targets) {
                s->emit_with_ack(event, args, timeout,
                                 [node = &node_, channel = uid.empty() ? response_channel_ : response_channel_ + uid + "#", request_id](
                                     const std::optional<ack_error>& err, json::array& got) {
                                     if (err) return;
                                     // The first argument of the client's ack, as the Node adapter sends it.
                                     msgpack::map m;
                                     m.emplace_back("type", msgpack::value(static_cast<std::int64_t>(broadcast_ack)));
                                     m.emplace_back("requestId", msgpack::value(request_id));
                                     m.emplace_back("packet", got.empty() ? msgpack::value(msgpack::nil{})
                                                                          : cluster_wire::to_msgpack(got.front()));
                                     node->commands().send({"PUBLISH", channel, msgpack::encode(msgpack::value(std::move(m)))});
                                 });
            }
            return;
        }
        case server_side_emit:
            // beastio has no server-side event handlers: as a Node node without listeners, it does not answer.
            return;
        default: return;
    }
}

void redis_pubsub_adapter::add_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) {
    sio_adapter::add_sockets(opts, rooms);
    if (opts.local) return;
    publish_request(json::object{{"uid", json::value(node_.uid())},
                                 {"type", json::value(static_cast<long long>(remote_join))},
                                 {"opts", json::object{{"rooms", strings_json(opts.rooms)}, {"except", strings_json(opts.except)}}},
                                 {"rooms", strings_json(rooms)}});
}

void redis_pubsub_adapter::del_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) {
    sio_adapter::del_sockets(opts, rooms);
    if (opts.local) return;
    publish_request(json::object{{"uid", json::value(node_.uid())},
                                 {"type", json::value(static_cast<long long>(remote_leave))},
                                 {"opts", json::object{{"rooms", strings_json(opts.rooms)}, {"except", strings_json(opts.except)}}},
                                 {"rooms", strings_json(rooms)}});
}

void redis_pubsub_adapter::disconnect_sockets(const broadcast_options& opts, bool close) {
    sio_adapter::disconnect_sockets(opts, close);
    if (opts.local) return;
    publish_request(json::object{{"uid", json::value(node_.uid())},
                                 {"type", json::value(static_cast<long long>(remote_disconnect))},
                                 {"opts", json::object{{"rooms", strings_json(opts.rooms)}, {"except", strings_json(opts.except)}}},
                                 {"close", json::value(close)}});
}

void redis_pubsub_adapter::on_broadcast(std::string_view payload) {
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
