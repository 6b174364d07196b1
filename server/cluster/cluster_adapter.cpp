#include "server/cluster/cluster_adapter.hpp"

#include "protocol/cluster/streams.hpp"
#include "protocol/socketio/broadcast.hpp"
#include "server/socketio/sio_frames.hpp"

#include <span>

namespace beastio::server::cluster_util {

broadcast_packet remote_event(const std::string& nsp, std::shared_ptr<const json::value> data) {
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

const json::value* member(const json::value& v, std::string_view key) { return v.is_object() ? v.find(key) : nullptr; }

std::string string_of(const json::value* v) { return v && v->is_string() ? v->as_string() : std::string(); }

json::value strings_json(const std::vector<std::string>& v) {
    json::array a;
    a.reserve(v.size());
    for (const auto& s : v) a.emplace_back(s);
    return json::value(std::move(a));
}

json::value local_sockets_json(sio_adapter& a, const broadcast_options& opts) {
    json::array found;
    a.sio_adapter::fetch_all_sockets(opts, [&found](std::vector<remote_socket> mine) {
        for (auto& r : mine)
            found.emplace_back(json::object{{"id", json::value(std::move(r.id))},
                                            {"handshake", std::move(r.handshake)},
                                            {"rooms", strings_json(r.rooms)},
                                            {"data", std::move(r.data)}});
    });
    return json::value(std::move(found));
}

void read_sockets(const json::value* list, std::vector<remote_socket>& out) {
    if (!list || !list->is_array()) return;
    for (const auto& e : list->as_array()) {
        remote_socket r;
        r.id = string_of(member(e, "id"));
        r.rooms = cluster_wire::names(member(e, "rooms"));
        if (const auto* d = member(e, "data")) r.data = *d;
        if (const auto* h = member(e, "handshake")) r.handshake = *h;
        out.push_back(std::move(r));
    }
}

void ack_requests::track(cluster_node& node, const std::string& id, std::shared_ptr<broadcast_ack_gather> g,
                         std::chrono::milliseconds timeout) {
    {
        std::lock_guard lock(mu_);
        by_id_[id] = g;
    }
    node.run_after(timeout, [self = shared_from_this(), id, g] {
        g->timed_out();
        std::lock_guard lock(self->mu_);
        self->by_id_.erase(id);
    });
}

std::shared_ptr<broadcast_ack_gather> ack_requests::find(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
}

}  // namespace beastio::server::cluster_util
