// The packet header writer shared by the packet encoder (packet.cpp) and the
// encode-once emit helpers (broadcast.cpp). Internal to protocol/socketio.
#pragma once

#include "protocol/socketio/packet.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace beastio::sio::detail {

// Bytes write_header appends.
std::size_t header_size(std::string_view nsp, std::optional<std::uint64_t> id);

// Appends "<type digit>[<nsp>,][<id>]"; the namespace is written only when it is not "/".
void write_header(std::string& out, packet_type type, std::string_view nsp, std::optional<std::uint64_t> id);

// Once the payload is written and its attachments counted: an EVENT/ACK type
// digit at out[type_pos] becomes BINARY_EVENT/BINARY_ACK, and "<count>-" is
// inserted right after the digit (binary packets are rare, so one insert
// afterwards is cheaper than walking every payload twice).
void write_attachment_count(std::string& out, std::size_t type_pos, std::size_t count);

}  // namespace beastio::sio::detail
