// An encoded Socket.IO packet as WebSocket frames, queued together.
#pragma once

#include "protocol/socketio/packet.hpp"
#include "server/core/connection.hpp"
#include "server/socketio/sio_adapter.hpp"
#include <string_view>
#include <vector>

namespace beastio::server {

// An encoded packet as the frames to queue: the text, then one binary frame per attachment.
std::vector<out_frame> to_frames(sio::encoded&& e);
// The DISCONNECT packet that tells a client it has left namespace nsp.
std::vector<out_frame> disconnect_frames(std::string_view nsp);
// An EVENT to emit, encoded on demand (with a recovery offset when an adapter
// logs it). event and args must outlive the packet's use (the emit call).
broadcast_packet event_packet(std::string_view nsp, std::string_view event, const json::array& args);

}  // namespace beastio::server
