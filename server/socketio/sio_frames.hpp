// An encoded Socket.IO packet as WebSocket frames, queued together.
#pragma once

#include "protocol/socketio/packet.hpp"
#include "server/core/connection.hpp"
#include <vector>

namespace beastio::server {

// An encoded packet as the frames to queue: the text, then one binary frame per attachment.
std::vector<out_frame> to_frames(sio::encoded&& e);
// Queues one packet's frames on c, together.
void deliver_frames(connection& c, const std::vector<out_frame>& frames);

}  // namespace beastio::server
