// Encode-once helpers for server emits: the final Engine.IO frame text of an
// EVENT, built in one buffer so a broadcast can share it among all recipients.
#pragma once

#include "protocol/json.hpp"
#include "protocol/socketio/packet.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace beastio::sio {

// 42["integer",17]  /  42/chat,["integer",17]  /  42/chat,5["x"] with an ack id.
// With binary args the result is a BINARY_EVENT (451-[...]) plus attachments.
encoded encode_event_frame(std::string_view nsp, std::string_view event,
                           std::span<const json::value> args,
                           std::optional<std::uint64_t> ack_id = std::nullopt);

// With connection state recovery on, an event without an ack id carries its
// recovery offset as one more, last, argument: 42["x",1,"<offset>"]. Same
// bytes as encode_event_frame with the offset appended to args as a string.
encoded encode_event_frame_with_offset(std::string_view nsp, std::string_view event,
                                       std::span<const json::value> args, std::string_view offset);

// The hot path of the integer service: one event with one integer argument,
// without building a tree. Same bytes as encode_event_frame(nsp, event, {n}),
// or, with an offset, as encode_event_frame_with_offset(nsp, event, {n}, offset).
std::string encode_int_event_frame(std::string_view nsp, std::string_view event, std::int64_t n);
std::string encode_int_event_frame(std::string_view nsp, std::string_view event, std::int64_t n,
                                   std::string_view offset);

// 43<id>[args] / 43/nsp,<id>[args] (or BINARY_ACK with attachments).
encoded encode_ack_frame(std::string_view nsp, std::uint64_t id, std::span<const json::value> args);

}  // namespace beastio::sio
