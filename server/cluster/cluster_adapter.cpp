#include "server/cluster/cluster_adapter.hpp"

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
