#include "server/cluster/redis_adapter.hpp"

#include "protocol/cluster/streams.hpp"
#include "protocol/cluster/wire.hpp"
#include "protocol/msgpack/msgpack.hpp"
#include "protocol/socketio/broadcast.hpp"
#include "server/core/ids.hpp"
#include "server/core/log.hpp"
#include "server/socketio/sio_frames.hpp"
#include "server/socketio/sio_namespace.hpp"
#include "server/socketio/sio_socket.hpp"

#include <algorithm>
#include <charconv>
#include <span>

namespace beastio::server {

using cluster_util::member;
using cluster_util::string_of;
using cluster_util::strings_json;

namespace {

log::throttle pubsub_malformed_log{std::chrono::seconds(10)};


}  // namespace

struct redis_pubsub_adapter::requests {
    struct pending {
        long long type = 0;
        std::size_t expected = 0, got = 0;
        std::vector<remote_socket> sockets;
        std::vector<std::string> rooms;
        fetch_done on_sockets;
        rooms_done on_rooms;
    };
    std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<pending>> by_id;

    // Once: when every node answered, or at the deadline with what came.
    static void complete(const std::shared_ptr<pending>& p) {
        if (p->on_sockets) return p->on_sockets(std::move(p->sockets));
        std::sort(p->rooms.begin(), p->rooms.end());
        p->rooms.erase(std::unique(p->rooms.begin(), p->rooms.end()), p->rooms.end());
        if (p->on_rooms) p->on_rooms(std::move(p->rooms));
    }
    void finish(const std::string& id) {
        std::shared_ptr<pending> p;
        {
            std::lock_guard lock(mu);
            auto it = by_id.find(id);
            if (it == by_id.end()) return;
            p = std::move(it->second);
            by_id.erase(it);
        }
        complete(p);
    }
};

redis_pubsub_adapter::redis_pubsub_adapter(sio_namespace& nsp, cluster_node& node)
    : cluster_adapter(nsp),
      node_(node),
      channel_(cluster_wire::broadcast_channel(node.options().key, nsp.name())),
      request_channel_(fmt::format("{}-request#{}#", node.options().key, nsp.name())),
      response_channel_(fmt::format("{}-response#{}#", node.options().key, nsp.name())),
      local_(std::make_unique<sio_memory_adapter>(nsp)),
      requests_(std::make_shared<requests>()),
      acks_(std::make_shared<cluster_util::ack_requests>()) {
    sink_ = std::make_shared<channel_sink>(
        [this](std::string_view channel, std::string_view payload) { on_message(channel, payload); },
        // The namespace (and so this adapter) lives while a message is delivered.
        [&nsp]() -> std::shared_ptr<void> { return nsp.weak_from_this().lock(); });
    // A room's channel while the room has a member here (called under the local adapter's lock, in order).
    local_->observe_rooms([this](const std::string& room, bool exists) {
        const auto ch = cluster_wire::room_channel(node_.options().key, this->nsp().name(), room);
        if (exists) node_.subscribe(ch, sink_);
        else node_.unsubscribe(ch, sink_);
    });
    node_.subscribe(channel_, sink_);
    // Requests from the other nodes (and the emitter), answered on the requester's own response channel.
    node_.subscribe(request_channel_, sink_);
    // Answers to our requests: Node nodes answer on the shared channel by default, beastio on ours.
    node_.subscribe(response_channel_, sink_);
    node_.subscribe(response_channel_of(node_.uid()), sink_);
}

redis_pubsub_adapter::~redis_pubsub_adapter() {
    sink_->off();
    node_.unsubscribe(channel_, sink_);
    node_.unsubscribe(request_channel_, sink_);
    node_.unsubscribe(response_channel_, sink_);
    node_.unsubscribe(response_channel_of(node_.uid()), sink_);
    for (const auto& room : local_->rooms())
        node_.unsubscribe(cluster_wire::room_channel(node_.options().key, nsp().name(), room), sink_);
    std::lock_guard lock(mu_);
    for (const auto& sid : sid_channels_)
        node_.unsubscribe(cluster_wire::room_channel(node_.options().key, nsp().name(), sid), sink_);
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
        node_.unsubscribe(cluster_wire::room_channel(node_.options().key, nsp().name(), s.id()), sink_);
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

redis::command redis_pubsub_adapter::publication(const json::value& data, const broadcast_options& opts) const {
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
    return {"PUBLISH", std::move(channel), cluster_wire::encode_broadcast(m)};
}

broadcast_result redis_pubsub_adapter::broadcast(const broadcast_packet& packet, const broadcast_options& opts) {
    const auto result = local_->broadcast(packet, opts);  // never waits for Redis
    if (opts.local) return result;
    const auto data = packet.event_data();
    if (!data) {
        log::debug("cluster: a broadcast on {} that is no event stays on this node", nsp().name());
        return result;
    }
    ++published_;
    node_.commands().send(publication(*data, opts), [](const redis::reply& r) {
        if (r.is_error()) log::debug("cluster: a broadcast did not reach the other nodes: {}", r.str);
    });
    return result;
}

void redis_pubsub_adapter::published(const broadcast_packet& packet, const broadcast_options& opts) {
    broadcast_options local = opts;
    local.local = true;
    local_->broadcast(packet, local);
}

void redis_pubsub_adapter::on_message(std::string_view channel, std::string_view payload) {
    if (channel == request_channel_) return on_request(payload);
    if (channel.starts_with(response_channel_)) return on_response(payload);
    on_broadcast(payload);
}

namespace {

std::optional<long long> integer_of(const json::value* v) {
    if (!v || !v->is_number()) return std::nullopt;
    const auto& t = v->as_number().text;
    long long n = 0;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec != std::errc{} || p != t.data() + t.size()) return std::nullopt;
    return n;
}



// A selection as requests carry it: {"rooms": [...], "except": [...]}.
json::value selection_json(const broadcast_options& opts) {
    return json::object{{"rooms", strings_json(opts.rooms)}, {"except", strings_json(opts.except)}};
}

enum request_type : long long {
    sockets_request = 0,
    all_rooms_request = 1,
    remote_join = 2,
    remote_leave = 3,
    remote_disconnect = 4,
    remote_fetch = 5,
    server_side_emit_request = 6,
    broadcast_with_ack_request = 7,
    broadcast_client_count = 8,
    broadcast_ack = 9,
};

}  // namespace

std::string redis_pubsub_adapter::response_channel_of(const std::string& requester) const {
    // The requester's own channel: a Node node listens on it and on the shared one; the others are spared.
    return requester.empty() ? response_channel_ : response_channel_ + requester + "#";
}

void redis_pubsub_adapter::respond(const std::string& requester, std::string payload) {
    node_.commands().send({"PUBLISH", response_channel_of(requester), std::move(payload)});
}

void redis_pubsub_adapter::publish_request(long long type, json::object members) {
    members.insert(members.begin(), {{"uid", json::value(node_.uid())}, {"type", json::value(type)}});
    node_.commands().send({"PUBLISH", request_channel_, json::serialize(json::value(std::move(members)))});
}

namespace {

// A request or a response: JSON when it starts with '{', msgpack otherwise (as the Node adapter reads them).
std::optional<json::value> read_message(std::string_view payload, std::string_view where) {
    if (!payload.empty() && payload.front() == '{') {
        auto parsed = json::parse(payload);
        if (!parsed) {
            log::debug("cluster: an unreadable message on {}: {}", where, parsed.error().message);
            return std::nullopt;
        }
        return std::move(*parsed);
    }
    auto decoded = msgpack::decode(payload);
    if (!decoded) {
        log::debug("cluster: an unreadable message on {}: {}", where, decoded.error().message);
        return std::nullopt;
    }
    return cluster_wire::to_json(*decoded);
}

}  // namespace

void redis_pubsub_adapter::on_response(std::string_view payload) {
    auto msg = read_message(payload, response_channel_);
    if (!msg) return;
    const std::string id = string_of(member(*msg, "requestId"));
    if (auto gather = acks_->find(id)) {
        // An answer to our broadcast with acks: a node's recipient count, or one recipient's ack.
        const auto type = integer_of(member(*msg, "type"));
        if (type == server_side_emit_request) {
            const json::value* d = member(*msg, "data");
            gather->response(d ? *d : json::value());
        } else if (type == broadcast_client_count) {
            const auto n = integer_of(member(*msg, "clientCount"));
            gather->add_recipients(n && *n > 0 ? static_cast<std::size_t>(*n) : 0);
        } else if (type == broadcast_ack) {
            const json::value* p = member(*msg, "packet");
            gather->response(p ? *p : json::value());
        }
        return;
    }
    std::shared_ptr<requests::pending> p;
    bool all = false;
    {
        std::lock_guard lock(requests_->mu);
        auto it = requests_->by_id.find(id);
        if (it == requests_->by_id.end()) return;  // another node's request, or one that ended
        p = it->second;
        if (p->type == remote_fetch) {
            const json::value* list = member(*msg, "sockets");
            if (!list || !list->is_array()) return;
            cluster_util::read_sockets(list, p->sockets);
        } else if (p->type == all_rooms_request) {
            const json::value* list = member(*msg, "rooms");
            if (!list || !list->is_array()) return;
            for (auto& r : cluster_wire::names(list)) p->rooms.push_back(std::move(r));
        }
        all = ++p->got >= p->expected;
    }
    if (all) requests_->finish(id);
}

void redis_pubsub_adapter::ask(long long type, json::object request, fetch_done on_sockets, rooms_done on_rooms,
                               std::vector<remote_socket> mine, std::vector<std::string> my_rooms) {
    auto p = std::make_shared<requests::pending>();
    p->type = type;
    p->sockets = std::move(mine);
    p->rooms = std::move(my_rooms);
    p->on_sockets = std::move(on_sockets);
    p->on_rooms = std::move(on_rooms);
    const std::string id = random_id().substr(0, 12);
    request.insert(request.begin(), {{"uid", json::value(node_.uid())},
                                     {"requestId", json::value(id)},
                                     {"type", json::value(type)}});
    auto state = requests_;
    cluster_node* node = &node_;
    const auto timeout = node_.options().command_timeout;
    {
        std::lock_guard lock(state->mu);
        state->by_id[id] = p;
    }
    // How many nodes listen (this one included), as the Node adapter's serverCount().
    node_.ask_others(request_channel_, json::serialize(json::value(std::move(request))),
                     [state, node, timeout, id, p](std::size_t nodes) {
                         {
                             std::lock_guard lock(state->mu);
                             p->expected = nodes - 1;
                         }
                         if (nodes <= 1) return state->finish(id);  // alone (or Redis away): this node's answer
                         node->run_after(timeout, [state, id] { state->finish(id); });
                     });
}

void redis_pubsub_adapter::fetch_all_sockets(const broadcast_options& opts, fetch_done done) {
    std::vector<remote_socket> mine;
    sio_adapter::fetch_all_sockets(opts, [&mine](std::vector<remote_socket> s) { mine = std::move(s); });
    if (opts.local) return done(std::move(mine));
    ask(remote_fetch, json::object{{"opts", selection_json(opts)}}, std::move(done), {}, std::move(mine), {});
}

void redis_pubsub_adapter::all_rooms(rooms_done done) {
    std::vector<std::string> mine;
    sio_adapter::all_rooms([&mine](std::vector<std::string> r) { mine = std::move(r); });
    ask(all_rooms_request, {}, {}, std::move(done), {}, std::move(mine));
}

void redis_pubsub_adapter::server_side_emit(const json::array& data) {
    publish_request(server_side_emit_request, {{"data", json::value(data)}});
}

void redis_pubsub_adapter::broadcast_with_ack(const std::string& event, const json::array& args,
                                              const broadcast_options& opts, std::chrono::milliseconds timeout,
                                              broadcast_ack_done done) {
    if (opts.local) return sio_adapter::broadcast_with_ack(event, args, opts, timeout, std::move(done));
    auto g = std::make_shared<broadcast_ack_gather>(std::move(done));
    const std::string id = random_id().substr(0, 12);
    acks_->track(node_, id, g, timeout);
    local_broadcast_with_ack(event, args, opts, timeout, g);
    // The request as a Node node sends it (msgpack): the packet, the selection, the timeout.
    json::array data{json::value(event)};
    data.insert(data.end(), args.begin(), args.end());
    json::value request = json::object{
        {"uid", json::value(node_.uid())},
        {"requestId", json::value(id)},
        {"type", json::value(static_cast<long long>(broadcast_with_ack_request))},
        {"packet", json::object{{"type", json::value(2LL)}, {"data", json::value(std::move(data))}, {"nsp", json::value(nsp().name())}}},
        {"opts", json::object{{"rooms", strings_json(opts.rooms)},
                              {"except", strings_json(opts.except)},
                              {"flags", json::object{{"timeout", json::value(static_cast<long long>(timeout.count()))}}}}}};
    node_.ask_others(request_channel_, msgpack::encode(cluster_wire::to_msgpack(request)),
                     [g](std::size_t nodes) { g->expect_nodes(nodes); });
}

void redis_pubsub_adapter::server_side_emit_with_ack(const json::array& data, std::chrono::milliseconds timeout,
                                                     broadcast_ack_done done) {
    auto g = std::make_shared<broadcast_ack_gather>(std::move(done));
    g->expect_nodes(1);  // the other nodes' answers count as this one's recipients
    const std::string id = random_id().substr(0, 12);
    acks_->track(node_, id, g, timeout);
    json::object body{{"uid", json::value(node_.uid())},
                      {"requestId", json::value(id)},
                      {"type", json::value(static_cast<long long>(server_side_emit_request))},
                      {"data", json::value(data)}};
    node_.ask_others(request_channel_, json::serialize(json::value(std::move(body))),
                     [g](std::size_t nodes) { g->add_recipients(nodes - 1); });
}

void redis_pubsub_adapter::on_request(std::string_view payload) {
    auto read = read_message(payload, request_channel_);
    if (!read) return;
    json::value req = std::move(*read);
    const auto type = integer_of(member(req, "type"));
    const std::string uid = string_of(member(req, "uid"));
    if (!type || uid == node_.uid()) return;
    const std::string request_id = string_of(member(req, "requestId"));
    broadcast_options opts;
    const json::value* o = member(req, "opts");
    if (o) {
        opts.rooms = cluster_wire::names(member(*o, "rooms"));
        opts.except = cluster_wire::names(member(*o, "except"));
    }
    const auto answer = [&](json::object more) {
        json::object body{{"requestId", json::value(request_id)}};
        for (auto& m : more) body.push_back(std::move(m));
        respond(uid, json::serialize(json::value(std::move(body))));
    };
    switch (*type) {
        case sockets_request: {
            opts.rooms = cluster_wire::names(member(req, "rooms"));
            std::vector<std::string> ids;
            for (const auto& s : local_->sockets(opts)) ids.push_back(s->id());
            return answer({{"sockets", strings_json(ids)}});
        }
        case all_rooms_request: {
            std::vector<std::string> names;
            sio_adapter::all_rooms([&names](std::vector<std::string> r) { names = std::move(r); });  // this node's
            return answer({{"rooms", strings_json(names)}});
        }
        case remote_join:
        case remote_leave: {
            const bool join = *type == remote_join;
            if (o) {  // this node's part of a selection verb (the base class acts locally)
                const auto rooms = cluster_wire::names(member(req, "rooms"));
                if (join) sio_adapter::add_sockets(opts, rooms);
                else sio_adapter::del_sockets(opts, rooms);
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
            if (o) return sio_adapter::disconnect_sockets(opts, close);
            auto s = local_->find(string_of(member(req, "sid")));
            if (!s) return;
            s->disconnect(close);
            return answer({});
        }
        case remote_fetch: {
            return answer({{"sockets", cluster_util::local_sockets_json(*this, opts)}});
        }
        case broadcast_with_ack_request: {
            // A broadcast whose every recipient acknowledges: each ack, and the count of recipients (msgpack, as Node).
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
            // Counted once sent: a socket that refuses the emit (going, too many acks outstanding) will not answer.
            std::size_t sent = 0;
            for (const auto& s : local_->sockets(opts)) {
                sent += s->emit_with_ack(event, args, timeout,
                                 [node = &node_, channel = response_channel_of(uid), request_id](
                                     const std::optional<ack_error>& err, json::array& got) {
                                     if (err) return;
                                     // The first argument of the client's ack, as the Node adapter sends it.
                                     msgpack::map m;
                                     m.emplace_back("type", msgpack::value(static_cast<std::int64_t>(broadcast_ack)));
                                     m.emplace_back("requestId", msgpack::value(request_id));
                                     m.emplace_back("packet", got.empty() ? msgpack::value(msgpack::nil{})
                                                                          : cluster_wire::to_msgpack(got.front()));
                                     node->commands().send({"PUBLISH", channel, msgpack::encode(msgpack::value(std::move(m)))});
                                 }) ? 1 : 0;
            }
            return answer({{"type", json::value(static_cast<long long>(broadcast_client_count))},
                           {"clientCount", json::value(static_cast<unsigned long>(sent))}});
        }
        case server_side_emit_request: {
            // To this namespace's server-side handlers; one that wants an answer (requestId) gets this
            // node's, from the first request handler that replies, as a Node node sends it.
            const json::value* data = member(req, "data");
            if (!data || !data->is_array()) return;
            server_side_reply reply;
            if (!request_id.empty()) {
                reply = [node = &node_, channel = response_channel_of(uid), request_id](json::value value) {
                    json::object body{{"type", json::value(static_cast<long long>(server_side_emit_request))},
                                      {"requestId", json::value(request_id)},
                                      {"data", std::move(value)}};
                    node->commands().send({"PUBLISH", channel, json::serialize(json::value(std::move(body)))});
                };
            }
            nsp().deliver_server_side(data->as_array(), std::move(reply));
            return;
        }
        default: return;
    }
}

void redis_pubsub_adapter::add_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) {
    sio_adapter::add_sockets(opts, rooms);
    if (opts.local) return;
    publish_request(remote_join, {{"opts", selection_json(opts)}, {"rooms", strings_json(rooms)}});
}

void redis_pubsub_adapter::del_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) {
    sio_adapter::del_sockets(opts, rooms);
    if (opts.local) return;
    publish_request(remote_leave, {{"opts", selection_json(opts)}, {"rooms", strings_json(rooms)}});
}

void redis_pubsub_adapter::disconnect_sockets(const broadcast_options& opts, bool close) {
    sio_adapter::disconnect_sockets(opts, close);
    if (opts.local) return;
    publish_request(remote_disconnect, {{"opts", selection_json(opts)}, {"close", json::value(close)}});
}

void redis_pubsub_adapter::on_broadcast(std::string_view payload) {
    auto m = cluster_wire::decode_broadcast(payload);
    if (!m) {
        std::uint64_t suppressed = 0;
        if (pubsub_malformed_log.allow(std::chrono::steady_clock::now(), &suppressed))
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
    local_->broadcast(cluster_util::remote_event(nsp().name(), std::make_shared<const json::value>(std::move(m->data))), opts);
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
