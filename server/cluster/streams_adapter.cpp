#include "server/cluster/streams_adapter.hpp"

#include "protocol/cluster/wire.hpp"
#include "server/core/ids.hpp"
#include "server/core/log.hpp"
#include "server/socketio/sio_namespace.hpp"
#include "server/socketio/sio_socket.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace beastio::server {

using cluster_wire::message_type;
using cluster_wire::stream_id;
using cluster_util::member;
using cluster_util::remote_event;
using cluster_util::string_of;
using cluster_util::strings_json;

namespace {

log::throttle streams_malformed_log{std::chrono::seconds(10)};

constexpr std::size_t scan_batch = 500;  // entries per XRANGE of a restore
constexpr std::chrono::milliseconds refresh_step{100};  // between two slices of a session refresh

std::chrono::milliseconds refresh_of(std::chrono::milliseconds window) {
    return std::clamp(window / 3, std::chrono::milliseconds(1000), std::chrono::milliseconds(30000));
}

void warn_malformed(std::string_view where, const std::string& why) {
    std::uint64_t suppressed = 0;
    if (streams_malformed_log.allow(std::chrono::steady_clock::now(), &suppressed))
        log::warn("cluster: dropped a message on {}: {} ({} more not logged)", where, why, suppressed);
}

}  // namespace

// Our fetches waiting for the other nodes' answers, shared with their callbacks.
struct redis_streams_adapter::requests {
    struct pending {
        std::size_t expected = 0, got = 0;
        std::vector<remote_socket> sockets;
        fetch_done done;
    };
    std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<pending>> by_id;

    void finish(const std::string& id) {
        std::shared_ptr<pending> p;
        {
            std::lock_guard lock(mu);
            auto it = by_id.find(id);
            if (it == by_id.end()) return;
            p = std::move(it->second);
            by_id.erase(it);
        }
        p->done(std::move(p->sockets));
    }
};

// A restore in progress: the session read, the stream scanned so far.
struct redis_streams_adapter::restore_job {
    socket_ptr socket;
    std::string pid;
    restore_done done;
    cluster_wire::session_record session;
    stream_id from{};     // the client has everything up to here
    stream_id scanned{};  // the stream is read up to here
    std::size_t entries = 0;
    struct missed {
        stream_id id;
        std::shared_ptr<const json::value> data;
    };
    std::vector<missed> replay;
    std::size_t bytes = 0;
    bool finished = false;
    void fail(std::string why) {
        if (finished) return;
        finished = true;
        done({false, std::move(why), 0});
    }
};

redis_streams_adapter::redis_streams_adapter(sio_namespace& nsp, cluster_node& node)
    : cluster_adapter(nsp),
      node_(node),
      reader_(node.stream()),
      public_channel_(cluster_wire::broadcast_channel(node.options().key, nsp.name())),
      private_channel_(cluster_wire::room_channel(node.options().key, nsp.name(), node.uid())),
      window_(nsp.limits().recovery.log.window),
      refresh_(refresh_of(window_)),
      local_(std::make_unique<sio_memory_adapter>(nsp, false)),
      requests_(std::make_shared<requests>()),
      acks_(std::make_shared<cluster_util::ack_requests>()) {
    // The namespace (and so this adapter) lives while a message or an entry is delivered.
    auto pin = [&nsp]() -> std::shared_ptr<void> { return nsp.weak_from_this().lock(); };
    sink_ = std::make_shared<channel_sink>(
        [this](std::string_view channel, std::string_view payload) { on_message(channel, payload); }, pin);
    entries_ = std::make_shared<entry_sink>(
        [this](const stream_id& id, const cluster_wire::cluster_message& m) { on_entry(id, m); }, pin);
    node_.subscribe(public_channel_, sink_);
    node_.subscribe(private_channel_, sink_);
    reader_.add(nsp.name(), entries_);
}

redis_streams_adapter::~redis_streams_adapter() {
    sink_->off();
    entries_->off();
    reader_.remove(nsp().name(), entries_);
    node_.unsubscribe(public_channel_, sink_);
    node_.unsubscribe(private_channel_, sink_);
}

bool redis_streams_adapter::restore_skips_middlewares() const { return nsp().limits().recovery.skip_middlewares; }

cluster_wire::cluster_message redis_streams_adapter::message(message_type t, json::value data) const {
    cluster_wire::cluster_message m;
    m.uid = node_.uid();
    m.nsp = nsp().name();
    m.type = static_cast<int>(t);
    m.data = std::move(data);
    return m;
}

redis::command redis_streams_adapter::xadd(const cluster_wire::cluster_message& m) const {
    redis::command c{"XADD", node_.options().stream, "MAXLEN", "~", std::to_string(node_.options().stream_maxlen), "*"};
    for (auto& [k, v] : cluster_wire::encode_entry(m)) {
        c.push_back(std::move(k));
        c.push_back(std::move(v));
    }
    return c;
}

// ---- sessions ----

std::string redis_streams_adapter::session_key(const std::string& pid) const { return "sio:session:" + pid; }

cluster_wire::session_record redis_streams_adapter::record_of(const sio_socket& s, const live_session& l) const {
    cluster_wire::session_record r;
    r.sid = s.id();
    r.pid = l.pid;
    r.rooms.push_back(s.id());  // socket.io lists the socket's own room with the others
    for (auto& room : local_->socket_rooms(s.id())) r.rooms.push_back(std::move(room));
    r.data = s.data();
    if (!l.offset.empty()) r.offset = l.offset;
    return r;
}

void redis_streams_adapter::send_session(const std::string& pid, std::string encoded, std::chrono::milliseconds ttl) {
    node_.commands().send({"SET", session_key(pid), std::move(encoded), "PX", std::to_string(ttl.count())},
                          [](const redis::reply& rep) {
                              if (rep.is_error()) log::debug("cluster: a session was not written: {}", rep.str);
                          });
}

void redis_streams_adapter::write_session(const sio_socket& s, const live_session& l, std::chrono::milliseconds ttl) {
    send_session(l.pid, cluster_wire::encode_session(record_of(s, l)), ttl);
}

void redis_streams_adapter::arm_refresh() {
    std::weak_ptr<sio_namespace> weak = nsp().weak_from_this();
    node_.run_after(refresh_, [this, weak] {
        auto keep = weak.lock();
        if (!keep) return;
        refresh_sessions();
        arm_refresh();
    });
}

// The sessions of the sockets connected here, written again now and then: if
// this node dies, each still outlives it by the recovery window. A round is
// spread over half the interval, a slice every refresh_step, so that many
// sockets never make one burst of commands.
void redis_streams_adapter::refresh_sessions() {
    auto round = std::make_shared<std::vector<std::weak_ptr<sio_socket>>>();
    {
        std::lock_guard lock(mu_);
        round->reserve(live_.size());
        for (const auto& [sid, l] : live_)
            if (auto s = local_->find(sid); s && s.get() == l.socket) round->push_back(s);
    }
    if (round->empty()) return;
    const std::size_t steps = std::max<std::size_t>(1, static_cast<std::size_t>((refresh_ / 2) / refresh_step));
    refresh_slice(round, 0, (round->size() + steps - 1) / steps);
}

void redis_streams_adapter::refresh_slice(std::shared_ptr<std::vector<std::weak_ptr<sio_socket>>> round,
                                          std::size_t from, std::size_t slice) {
    const std::size_t to = std::min(round->size(), from + slice);
    std::vector<std::pair<socket_ptr, live_session>> live;
    {
        std::lock_guard lock(mu_);
        for (std::size_t i = from; i < to; ++i) {
            auto s = (*round)[i].lock();
            if (!s) continue;
            if (auto it = live_.find(s->id()); it != live_.end() && it->second.socket == s.get())
                live.emplace_back(std::move(s), it->second);
        }
    }
    // Encoded outside the lock (joins and the stream's deliveries go on meanwhile); sent under it, for the
    // sockets still here, so that a refresh never lands after the write of a socket that went.
    std::vector<std::string> encoded;
    encoded.reserve(live.size());
    for (const auto& [s, l] : live) encoded.push_back(cluster_wire::encode_session(record_of(*s, l)));
    {
        std::lock_guard lock(mu_);
        for (std::size_t i = 0; i < live.size(); ++i) {
            auto it = live_.find(live[i].first->id());
            if (it == live_.end() || it->second.socket != live[i].first.get()) continue;
            send_session(it->second.pid, std::move(encoded[i]), live_ttl());
        }
    }
    if (to >= round->size()) return;
    std::weak_ptr<sio_namespace> weak = nsp().weak_from_this();
    node_.run_after(refresh_step, [this, weak, round, to, slice] {
        if (auto keep = weak.lock()) refresh_slice(round, to, slice);
    });
}

// ---- membership ----

void redis_streams_adapter::add_socket(const socket_ptr& s) {
    if (!recovers() || s->pid().empty()) return local_->add_socket(s);
    // Where it starts reading, taken as it joins, between two entries: every entry after it reaches the
    // socket live (no position while the reader has not reached Redis: then only the client's offset resumes it).
    const std::string offset = reader_.with_position([&](const stream_id& position) {
        local_->add_socket(s);
        return reader_.ready() ? position.str() : std::string();
    });
    // The refresh starts with the first session (the namespace's own shared pointer, which it holds, exists by now).
    if (!refresh_armed_.exchange(true)) arm_refresh();
    std::lock_guard lock(mu_);
    auto& l = live_[s->id()];
    l = live_session{s.get(), s->pid(), offset};
    write_session(*s, l, live_ttl());
}

void redis_streams_adapter::remove_socket(sio_socket& s, bool keep_session) {
    local_->remove_socket(s, keep_session);
    if (!recovers()) return;
    std::lock_guard lock(mu_);
    auto it = live_.find(s.id());
    // Another socket holds the session now (restored here), or another node took it: nothing to write.
    if (it == live_.end() || it->second.socket != &s) return;
    if (keep_session) write_session(s, it->second, window_);
    else node_.commands().send({"DEL", session_key(it->second.pid)});
    live_.erase(it);
}

sio_adapter::join_result redis_streams_adapter::join(const std::string& sid, const std::string& room,
                                                     std::size_t max_rooms) {
    const auto r = local_->join(sid, room, max_rooms);
    if (r != join_result::joined || !recovers()) return r;
    if (auto s = local_->find(sid)) {
        std::lock_guard lock(mu_);
        if (auto it = live_.find(sid); it != live_.end() && it->second.socket == s.get())
            write_session(*s, it->second, live_ttl());
    }
    return r;
}

void redis_streams_adapter::leave(const std::string& sid, const std::string& room) {
    local_->leave(sid, room);
    if (!recovers()) return;
    if (auto s = local_->find(sid)) {
        std::lock_guard lock(mu_);
        if (auto it = live_.find(sid); it != live_.end() && it->second.socket == s.get())
            write_session(*s, it->second, live_ttl());
    }
}

std::vector<std::string> redis_streams_adapter::socket_rooms(const std::string& sid) const {
    return local_->socket_rooms(sid);
}

// ---- delivery ----

redis::command redis_streams_adapter::publication(const json::value& data, const broadcast_options& opts) const {
    cluster_wire::broadcast_body b;
    b.data = data;
    b.rooms = opts.rooms;
    b.except = opts.except;
    b.is_volatile = opts.is_volatile;
    return xadd(message(message_type::broadcast, cluster_wire::make_broadcast_data(b, nsp().name())));
}

void redis_streams_adapter::published(const broadcast_packet& packet, const broadcast_options& opts) {
    // Kept for recovery: the reader delivers it in the stream's order, with its id.
    if (stored(packet, opts.is_volatile)) return;
    broadcast_options local = opts;
    local.local = true;
    local_->broadcast(packet, local);
}

void redis_streams_adapter::deliver_with_offset(const broadcast_packet& packet, const broadcast_options& opts,
                                                const std::string& offset) {
    const auto targets = local_->sockets(opts);
    if (targets.empty()) return;
    const auto frames = packet.frames_with_offset(offset);
    for (const auto& s : targets) s->deliver(frames, false);
}

broadcast_result redis_streams_adapter::broadcast(const broadcast_packet& packet, const broadcast_options& opts) {
    if (opts.local) return local_->broadcast(packet, opts);
    auto data = packet.event_data();
    if (!data) {
        log::debug("cluster: a broadcast on {} that is no event stays on this node", nsp().name());
        return local_->broadcast(packet, opts);
    }
    ++published_;
    // Before the reader knows where the stream is, it would start after this entry: delivered here now instead.
    if (!stored(packet, opts.is_volatile) || !reader_.ready()) {
        const auto result = local_->broadcast(packet, opts);  // never waits for Redis
        node_.commands().send(publication(*data, opts), [](const redis::reply& r) {
            if (r.is_error()) log::debug("cluster: a broadcast did not reach the other nodes: {}", r.str);
        });
        return result;
    }
    // Delivered here by the reader, in the stream's order; without Redis, here and now without an offset.
    const std::size_t recipients = local_->sockets(opts).size();
    auto shared = std::make_shared<const json::value>(std::move(*data));
    std::weak_ptr<sio_namespace> weak = nsp().weak_from_this();
    node_.commands().send(publication(*shared, opts), [this, weak, shared, opts](const redis::reply& r) {
        if (!r.is_error()) return;
        // Only a command that never went out is surely not in the stream; after a connection lost with it
        // written, the entry may be there, and the reader delivers it (delivering it here too would be twice).
        if (!r.str.starts_with("redis unavailable") && !r.str.starts_with("redis overloaded")) {
            log::debug("cluster: a broadcast's XADD got no answer ({}): delivered if it reached the stream", r.str);
            return;
        }
        auto keep = weak.lock();
        if (!keep) return;
        log::debug("cluster: a broadcast went to this node's clients only (not kept for recovery): {}", r.str);
        broadcast_options local = opts;
        local.local = true;
        local_->broadcast(remote_event(nsp().name(), shared), local);
    });
    return {recipients, true};
}

void redis_streams_adapter::unicast(sio_socket& s, const broadcast_packet& packet, bool is_volatile) {
    // socket.io routes a private emit through the adapter when recovery keeps it: the socket's own room.
    if (!stored(packet, is_volatile)) return local_->unicast(s, packet, is_volatile);
    broadcast_options opts;
    opts.rooms = {s.id()};
    broadcast(packet, opts);
}

void redis_streams_adapter::on_entry(const stream_id& id, const cluster_wire::cluster_message& m) {
    const bool own = m.uid == node_.uid();
    broadcast_options opts;
    opts.local = true;
    const json::value* o = member(m.data, "opts");
    if (o) {
        opts.rooms = cluster_wire::names(member(*o, "rooms"));
        opts.except = cluster_wire::names(member(*o, "except"));
    }
    switch (static_cast<message_type>(m.type)) {
        case message_type::broadcast: {
            auto b = cluster_wire::read_broadcast_data(m.data);
            if (!b) return warn_malformed(node_.options().stream, b.error().message);
            if (b->request_id) return;  // acks go over pub/sub (a Node node never writes them here)
            opts.rooms = std::move(b->rooms);
            opts.except = std::move(b->except);
            opts.is_volatile = b->is_volatile;
            const bool keep = recovers() && !b->is_volatile && !b->has_ack_id;
            if (own && !keep) return;  // delivered here when it was sent
            if (!own) ++received_;
            auto packet = remote_event(nsp().name(), std::make_shared<const json::value>(std::move(b->data)));
            if (keep) return deliver_with_offset(packet, opts, id.str());
            local_->broadcast(packet, opts);
            return;
        }
        case message_type::sockets_join:
            if (!own) sio_adapter::add_sockets(opts, cluster_wire::names(member(m.data, "rooms")));
            return;
        case message_type::sockets_leave:
            if (!own) sio_adapter::del_sockets(opts, cluster_wire::names(member(m.data, "rooms")));
            return;
        case message_type::disconnect_sockets: {
            if (own) return;
            const json::value* c = member(m.data, "close");
            sio_adapter::disconnect_sockets(opts, c && c->is_bool() && c->as_bool());
            return;
        }
        default: return;
    }
}

void redis_streams_adapter::add_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) {
    sio_adapter::add_sockets(opts, rooms);
    if (opts.local) return;
    json::value data = json::object{{"opts", cluster_wire::selection_data(opts.rooms, opts.except)}, {"rooms", strings_json(rooms)}};
    node_.commands().send(xadd(message(message_type::sockets_join, std::move(data))));
}

void redis_streams_adapter::del_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) {
    sio_adapter::del_sockets(opts, rooms);
    if (opts.local) return;
    json::value data = json::object{{"opts", cluster_wire::selection_data(opts.rooms, opts.except)}, {"rooms", strings_json(rooms)}};
    node_.commands().send(xadd(message(message_type::sockets_leave, std::move(data))));
}

void redis_streams_adapter::disconnect_sockets(const broadcast_options& opts, bool close) {
    sio_adapter::disconnect_sockets(opts, close);
    if (opts.local) return;
    json::value data = json::object{{"opts", cluster_wire::selection_data(opts.rooms, opts.except)}, {"close", json::value(close)}};
    node_.commands().send(xadd(message(message_type::disconnect_sockets, std::move(data))));
}

// ---- pub/sub: requests, responses, acks ----

void redis_streams_adapter::respond(const std::string& requester, message_type t, json::object data) {
    node_.commands().send({"PUBLISH", cluster_wire::room_channel(node_.options().key, nsp().name(), requester),
                           cluster_wire::encode_pubsub(message(t, json::value(std::move(data))))});
}

void redis_streams_adapter::on_message(std::string_view channel, std::string_view payload) {
    auto m = cluster_wire::decode_pubsub(payload);
    if (!m) return warn_malformed(channel, m.error().message);
    if (m->uid == node_.uid() || m->nsp != nsp().name()) return;
    const std::string request_id = string_of(member(m->data, "requestId"));
    switch (static_cast<message_type>(m->type)) {
        case message_type::broadcast: {
            auto b = cluster_wire::read_broadcast_data(m->data);
            if (!b) return warn_malformed(channel, b.error().message);
            if (b->request_id) return on_ack_broadcast(*m, *b);
            // A broadcast without acks over pub/sub (not what the Node adapter sends): delivered, not kept.
            broadcast_options opts;
            opts.rooms = std::move(b->rooms);
            opts.except = std::move(b->except);
            opts.is_volatile = b->is_volatile;
            opts.local = true;
            ++received_;
            local_->broadcast(remote_event(nsp().name(), std::make_shared<const json::value>(std::move(b->data))), opts);
            return;
        }
        case message_type::fetch_sockets: {
            broadcast_options opts;
            if (const json::value* o = member(m->data, "opts")) {
                opts.rooms = cluster_wire::names(member(*o, "rooms"));
                opts.except = cluster_wire::names(member(*o, "except"));
            }
            return respond(m->uid, message_type::fetch_sockets_response,
                           {{"requestId", json::value(request_id)},
                            {"sockets", cluster_util::local_sockets_json(*this, opts)}});
        }
        case message_type::server_side_emit: {
            // To this namespace's server-side handlers; one that wants an answer (requestId) gets this
            // node's, from the first request handler that replies.
            const json::value* packet = member(m->data, "packet");
            if (!packet || !packet->is_array()) return;
            server_side_reply reply;
            if (!request_id.empty()) {
                reply = [this, weak = std::weak_ptr<sio_namespace>(nsp().weak_from_this()), to = m->uid,
                         request_id](json::value answer) {
                    if (auto keep = weak.lock())
                        respond(to, message_type::server_side_emit_response,
                                {{"requestId", json::value(request_id)}, {"packet", std::move(answer)}});
                };
            }
            nsp().deliver_server_side(packet->as_array(), std::move(reply));
            return;
        }
        case message_type::server_side_emit_response: {
            const json::value* p = member(m->data, "packet");
            if (auto g = acks_->find(request_id)) g->response(p ? *p : json::value());
            return;
        }
        case message_type::fetch_sockets_response: {
            std::shared_ptr<requests::pending> p;
            bool all = false;
            {
                std::lock_guard lock(requests_->mu);
                auto it = requests_->by_id.find(request_id);
                if (it == requests_->by_id.end()) return;  // ended already
                p = it->second;
                cluster_util::read_sockets(member(m->data, "sockets"), p->sockets);
                all = ++p->got >= p->expected;
            }
            if (all) requests_->finish(request_id);
            return;
        }
        case message_type::broadcast_client_count:
        case message_type::broadcast_ack: {
            auto g = acks_->find(request_id);
            if (!g) return;  // ended already
            if (static_cast<message_type>(m->type) == message_type::broadcast_ack) {
                const json::value* p = member(m->data, "packet");
                return g->response(p ? *p : json::value());
            }
            const json::value* n = member(m->data, "clientCount");
            std::size_t count = 0;
            if (n && n->is_number()) {
                const auto& t = n->as_number().text;
                std::from_chars(t.data(), t.data() + t.size(), count);
            }
            return g->add_recipients(count);
        }
        case message_type::session_taken: {
            // Another node resumed this session: the socket still holding it here (a half-open
            // connection, say) goes without writing it back.
            const std::string sid = string_of(member(m->data, "sid"));
            const std::string pid = string_of(member(m->data, "pid"));
            socket_ptr holder;
            {
                std::lock_guard lock(mu_);
                auto it = live_.find(sid);
                if (it == live_.end() || it->second.pid != pid) return;
                holder = local_->find(sid);
                live_.erase(it);
            }
            if (holder) {
                log::info("sid={} nsp={} session resumed on node {}: closing its old connection here", sid, nsp().name(),
                          m->uid);
                holder->close_connection(close_cause::session_resumed);
            }
            return;
        }
        default: return;
    }
}

// A broadcast whose every recipient acknowledges: the count first, then each ack, on the requester's channel.
void redis_streams_adapter::on_ack_broadcast(const cluster_wire::cluster_message& m, const cluster_wire::broadcast_body& b) {
    broadcast_options opts;
    opts.rooms = b.rooms;
    opts.except = b.except;
    const auto targets = local_->sockets(opts);
    const std::string request_id = *b.request_id;
    const auto& a = b.data.as_array();
    const std::string event = a.front().as_string();
    const json::array args(a.begin() + 1, a.end());
    const auto timeout = std::chrono::milliseconds(b.timeout && *b.timeout > 0 ? *b.timeout : 5000);
    // Counted once sent: a socket that refuses the emit (it is going, or has too many acks outstanding)
    // will not answer, and the requester must not wait for it.
    std::size_t sent = 0;
    for (const auto& s : targets) {
        sent += s->emit_with_ack(event, args, timeout,
                         [node = &node_, channel = cluster_wire::room_channel(node_.options().key, nsp().name(), m.uid),
                          reply = message(message_type::broadcast_ack, {}),
                          request_id](const std::optional<ack_error>& err, json::array& got) mutable {
                             if (err) return;
                             // The first argument of the client's ack, as the Node adapter sends it.
                             reply.data = json::object{{"requestId", json::value(request_id)},
                                                       {"packet", got.empty() ? json::value() : got.front()}};
                             node->commands().send({"PUBLISH", channel, cluster_wire::encode_pubsub(reply)});
                         }) ? 1 : 0;
    }
    respond(m.uid, message_type::broadcast_client_count,
            {{"requestId", json::value(request_id)}, {"clientCount", json::value(static_cast<unsigned long>(sent))}});
}

void redis_streams_adapter::fetch_all_sockets(const broadcast_options& opts, fetch_done done) {
    std::vector<remote_socket> mine;
    sio_adapter::fetch_all_sockets(opts, [&mine](std::vector<remote_socket> s) { mine = std::move(s); });
    if (opts.local) return done(std::move(mine));
    auto p = std::make_shared<requests::pending>();
    p->sockets = std::move(mine);
    p->done = std::move(done);
    const std::string id = random_id().substr(0, 16);
    json::value data = json::object{{"opts", cluster_wire::selection_data(opts.rooms, opts.except)},
                                    {"requestId", json::value(id)}};
    auto state = requests_;
    cluster_node* node = &node_;
    const auto timeout = node_.options().command_timeout;
    {
        std::lock_guard lock(state->mu);
        state->by_id[id] = p;
    }
    node_.ask_others(public_channel_, cluster_wire::encode_pubsub(message(message_type::fetch_sockets, std::move(data))),
                     [state, node, timeout, id, p](std::size_t nodes) {
                         {
                             std::lock_guard lock(state->mu);
                             p->expected = nodes - 1;
                         }
                         if (nodes <= 1) return state->finish(id);  // alone (or Redis away): this node's answer
                         node->run_after(timeout, [state, id] { state->finish(id); });
                     });
}

void redis_streams_adapter::all_rooms(rooms_done done) {
    fetch_all_sockets({}, [done = std::move(done)](std::vector<remote_socket> sockets) {
        std::vector<std::string> rooms;
        for (auto& s : sockets)
            for (auto& r : s.rooms) rooms.push_back(std::move(r));
        std::sort(rooms.begin(), rooms.end());
        rooms.erase(std::unique(rooms.begin(), rooms.end()), rooms.end());
        done(std::move(rooms));
    });
}

void redis_streams_adapter::broadcast_with_ack(const std::string& event, const json::array& args,
                                               const broadcast_options& opts, std::chrono::milliseconds timeout,
                                               broadcast_ack_done done) {
    if (opts.local) return sio_adapter::broadcast_with_ack(event, args, opts, timeout, std::move(done));
    auto g = std::make_shared<broadcast_ack_gather>(std::move(done));
    const std::string id = random_id().substr(0, 16);
    acks_->track(node_, id, g, timeout);
    local_broadcast_with_ack(event, args, opts, timeout, g);
    cluster_wire::broadcast_body b;
    json::array data{json::value(event)};
    data.insert(data.end(), args.begin(), args.end());
    b.data = json::value(std::move(data));
    b.rooms = opts.rooms;
    b.except = opts.except;
    b.request_id = id;
    b.timeout = static_cast<long long>(timeout.count());
    node_.ask_others(public_channel_,
                     cluster_wire::encode_pubsub(message(message_type::broadcast, cluster_wire::make_broadcast_data(b, nsp().name()))),
                     [g](std::size_t nodes) { g->expect_nodes(nodes); });
}

void redis_streams_adapter::server_side_emit_with_ack(const json::array& data, std::chrono::milliseconds timeout,
                                                      broadcast_ack_done done) {
    auto g = std::make_shared<broadcast_ack_gather>(std::move(done));
    g->expect_nodes(1);  // the other nodes' answers count as this one's recipients
    const std::string id = random_id().substr(0, 16);
    acks_->track(node_, id, g, timeout);
    node_.ask_others(public_channel_,
                     cluster_wire::encode_pubsub(message(message_type::server_side_emit,
                                                         json::object{{"requestId", json::value(id)}, {"packet", json::value(data)}})),
                     [g](std::size_t nodes) { g->add_recipients(nodes - 1); });
}

void redis_streams_adapter::server_side_emit(const json::array& data) {
    node_.commands().send({"PUBLISH", public_channel_,
                           cluster_wire::encode_pubsub(message(message_type::server_side_emit,
                                                               json::object{{"packet", json::value(data)}}))});
}

std::vector<socket_ptr> redis_streams_adapter::sockets(const broadcast_options& opts) const { return local_->sockets(opts); }
std::size_t redis_streams_adapter::size() const { return local_->size(); }
socket_ptr redis_streams_adapter::find(const std::string& sid) const { return local_->find(sid); }
std::vector<std::string> redis_streams_adapter::rooms() const { return local_->rooms(); }

// ---- restore ----

void redis_streams_adapter::restore_session(const socket_ptr& s, const std::string& pid,
                                            const std::optional<std::string>& offset, restore_done done) {
    if (!recovers()) return done({false, "recovery is off", 0});
    std::optional<stream_id> from_client;
    if (offset) {
        from_client = cluster_wire::parse_stream_id(*offset);
        if (!from_client) return done({false, "invalid offset", 0});
    }
    if (!reader_.ready()) return done({false, "the cluster's stream is not reachable", 0});
    auto job = std::make_shared<restore_job>();
    job->socket = s;
    job->pid = pid;
    job->done = std::move(done);
    std::weak_ptr<sio_namespace> weak = nsp().weak_from_this();
    const std::string key = session_key(pid);
    // Read and deleted at once: a session is resumed once (socket.io's GETDEL).
    node_.commands().send({"GETDEL", key}, [this, weak, job, from_client](const redis::reply& r) {
        auto keep = weak.lock();
        if (!keep) return job->fail("the namespace is gone");
        if (r.is_error()) return job->fail("redis: " + r.str);
        if (r.is_nil()) return job->fail("unknown or expired session");
        auto session = cluster_wire::decode_session(r.str);
        if (!session) return job->fail("an unreadable session: " + session.error().message);
        job->session = std::move(*session);
        if (job->session.pid != job->pid) job->session.pid = job->pid;
        if (from_client) {
            job->from = *from_client;
        } else if (job->session.offset) {
            job->from = *cluster_wire::parse_stream_id(*job->session.offset);
        } else {
            return job->fail("no offset: the client got no event, and the session says not where it started");
        }
        job->scanned = job->from;
        if (job->from == stream_id{}) return scan(job);  // it started before the stream's first entry
        // The client's offset must still be in the stream: what came after it is then all there.
        node_.commands().send({"XRANGE", node_.options().stream, job->from.str(), job->from.str()},
                              [this, weak, job](const redis::reply& x) {
                                  auto keep2 = weak.lock();
                                  if (!keep2) return job->fail("the namespace is gone");
                                  if (x.is_error()) return job->fail("redis: " + x.str);
                                  if (x.t != redis::reply::type::array || x.elements.empty())
                                      return job->fail("the offset is no longer in the stream");
                                  scan(job);
                              });
    });
}

// Reads the stream after job->scanned, keeping what the session missed.
void redis_streams_adapter::scan(std::shared_ptr<restore_job> job) {
    std::weak_ptr<sio_namespace> weak = nsp().weak_from_this();
    node_.commands().send(
        {"XRANGE", node_.options().stream, "(" + job->scanned.str(), "+", "COUNT", std::to_string(scan_batch)},
        [this, weak, job](const redis::reply& r) {
            auto keep = weak.lock();
            if (!keep) return job->fail("the namespace is gone");
            if (r.is_error()) return job->fail("redis: " + r.str);
            if (r.t != redis::reply::type::array) return job->fail("an unexpected XRANGE reply");
            const auto& limits = nsp().limits().recovery;
            std::vector<std::string> rooms = job->session.rooms;
            if (std::find(rooms.begin(), rooms.end(), job->session.sid) == rooms.end()) rooms.push_back(job->session.sid);
            for (const auto& e : r.elements) {
                if (e.t != redis::reply::type::array || e.elements.size() != 2) continue;
                const auto id = cluster_wire::parse_stream_id(e.elements[0].str);
                if (!id) continue;
                job->scanned = *id;
                ++job->entries;
                cluster_wire::entry_fields fields;
                const auto& kv = e.elements[1].elements;
                for (std::size_t i = 0; i + 1 < kv.size(); i += 2) fields.emplace_back(kv[i].str, kv[i + 1].str);
                auto m = cluster_wire::decode_entry(fields);
                if (!m || m->nsp != nsp().name() || m->type != static_cast<int>(message_type::broadcast)) continue;
                auto b = cluster_wire::read_broadcast_data(m->data);
                if (!b || b->request_id || b->has_ack_id || b->is_volatile) continue;
                if (!cluster_wire::replay_includes(rooms, b->rooms, b->except)) continue;
                job->bytes += kv.size() > 7 ? kv[7].str.size() : 0;
                job->replay.push_back({*id, std::make_shared<const json::value>(std::move(b->data))});
                if (job->replay.size() > limits.max_replay_packets || job->bytes > limits.max_replay_bytes)
                    return job->fail(fmt::format("too much to replay (more than {} packets or {} bytes)",
                                                 limits.max_replay_packets, limits.max_replay_bytes));
            }
            if (r.elements.size() == scan_batch) {
                // Entries come faster than they are read: give up rather than chase them for ever.
                if (job->entries > 2 * node_.options().stream_maxlen + 10 * scan_batch)
                    return job->fail("the stream grows faster than the restore reads it");
                return scan(job);
            }
            adopt(job, 0);
        });
}

// On the socket's strand, at the reader's position: what came up to it is
// replayed, what comes after reaches the socket live.
void redis_streams_adapter::adopt(std::shared_ptr<restore_job> job, int attempt) {
    std::weak_ptr<sio_namespace> weak = nsp().weak_from_this();
    const bool queued = job->socket->run_on_connection([this, weak, job, attempt] {
        auto keep = weak.lock();
        if (!keep) return job->fail("the namespace is gone");
        const auto& s = job->socket;
        enum class step { wait, scan_more, gone, adopted };
        socket_ptr holder;
        std::size_t replayed = 0;
        const step st = reader_.with_position([&](const stream_id& position) {
            if (position < job->from) return step::wait;        // this node's reader is behind the client
            if (job->scanned < position) return step::scan_more;  // entries came meanwhile
            if (s->left()) return step::gone;
            session_state state;
            state.sid = job->session.sid;
            state.pid = job->pid;
            for (const auto& r : job->session.rooms)
                if (r != state.sid) state.rooms.push_back(r);
            state.data = job->session.data;
            // A socket of this node still holding the session (a half-open connection) lets go.
            holder = local_->find(state.sid);
            // Rooms the new socket joined under its own id (in middleware) go: it takes the session's.
            for (const auto& r : local_->socket_rooms(s->id())) local_->leave(s->id(), r);
            s->adopt_session(state);
            local_->add_socket(s);
            for (const auto& r : state.rooms) local_->join(state.sid, r, std::numeric_limits<std::size_t>::max());
            stream_id last = job->from;
            for (const auto& m : job->replay) {
                if (position < m.id) break;  // the reader delivers it
                s->deliver(remote_event(nsp().name(), m.data).frames_with_offset(m.id.str()), false);
                last = m.id;
                ++replayed;
            }
            std::lock_guard lock(mu_);
            auto& l = live_[state.sid];
            l = live_session{s.get(), state.pid, std::max(last, position).str()};
            write_session(*s, l, live_ttl());
            return step::adopted;
        });
        switch (st) {
            case step::wait:
                if (attempt >= 250) return job->fail("this node's stream reader is behind the client's offset");
                node_.run_after(std::chrono::milliseconds(20), [this, weak, job, attempt] {
                    if (auto k = weak.lock()) adopt(job, attempt + 1);
                    else job->fail("the namespace is gone");
                });
                return;
            case step::scan_more: return scan(job);
            case step::gone: return give_back(*job);
            case step::adopted: break;
        }
        if (holder && holder != s) holder->close_connection(close_cause::session_resumed);
        // The other nodes: whoever still holds this session lets go of it.
        node_.commands().send({"PUBLISH", public_channel_,
                               cluster_wire::encode_pubsub(message(
                                   message_type::session_taken,
                                   json::object{{"sid", json::value(job->session.sid)}, {"pid", json::value(job->pid)}}))});
        job->finished = true;
        job->done({true, {}, replayed});
    });
    if (!queued) give_back(*job);
}

// The connection went while its session was read (GETDEL took it): the session goes back for the next attempt.
void redis_streams_adapter::give_back(restore_job& job) {
    cluster_wire::session_record r = job.session;
    r.offset = job.from.str();
    node_.commands().send({"SET", session_key(job.pid), cluster_wire::encode_session(r), "PX",
                           std::to_string(window_.count())});
    job.fail("its connection is gone");
}

}  // namespace beastio::server
