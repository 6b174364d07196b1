#include "server/socketio/sio_broadcast.hpp"

#include "protocol/socketio/broadcast.hpp"
#include "protocol/socketio/packet.hpp"
#include "server/socketio/sio_frames.hpp"
#include "server/socketio/sio_namespace.hpp"

namespace beastio::server {

std::size_t sio_broadcast::emit(std::string_view event, const json::array& args) {
    if (sio::is_reserved_event(event)) return 0;
    const auto frames = to_frames(sio::encode_event_frame(nsp_.name(), event, args));
    const auto targets = nsp_.targets(rooms_, except_);
    for (const auto& s : targets) {
        if (auto c = s->conn_.lock()) deliver_frames(*c, frames);
    }
    return targets.size();
}

}  // namespace beastio::server
