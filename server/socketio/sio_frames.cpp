#include "server/socketio/sio_frames.hpp"

#include "protocol/socketio/broadcast.hpp"

namespace beastio::server {

std::vector<out_frame> to_frames(sio::encoded&& e) {
    std::vector<out_frame> frames;
    frames.reserve(1 + e.attachments.size());
    frames.push_back({make_frame(std::move(e.text)), false});
    for (auto& a : e.attachments) frames.push_back({std::move(a), true});  // shared, not copied
    return frames;
}

std::vector<out_frame> disconnect_frames(std::string_view nsp) {
    sio::packet p;
    p.type = sio::packet_type::disconnect;
    p.nsp = std::string(nsp);
    return to_frames(sio::encode_frame(p));
}

broadcast_packet event_packet(std::string_view nsp, std::string_view event, const json::array& args) {
    return broadcast_packet::event(
        [nsp, event, &args](std::optional<std::string_view> offset) {
            return to_frames(offset ? sio::encode_event_frame_with_offset(nsp, event, args, *offset)
                                    : sio::encode_event_frame(nsp, event, args));
        },
        [event, &args] {
            json::array data;
            data.reserve(args.size() + 1);
            data.emplace_back(std::string(event));
            data.insert(data.end(), args.begin(), args.end());
            return json::value(std::move(data));
        });
}

}  // namespace beastio::server
