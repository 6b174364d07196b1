// WebSocket frames (RFC 6455 §5.2): headers to bytes and back. Pure: no
// sockets, no clocks. The server's WebSocket connections (server/websocket/
// ws_session), the benchmark's load generator and its floor sender speak
// WebSocket through it.
//
//  0                   1                   2                   3
//  FIN RSV1-3 opcode(4) | MASK len(7) | len 16 or 64 bits | mask key (4) | payload
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace beastio::ws {

enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

inline constexpr bool is_control(opcode op) { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

using mask_key = std::array<std::uint8_t, 4>;

// The longest header: 2 bytes, 8 of extended length, 4 of mask key.
inline constexpr std::size_t max_header_size = 14;

struct header {
    bool fin = true;
    opcode op = opcode::text;
    bool masked = false;
    mask_key mask{};
    std::uint64_t payload_size = 0;
    std::size_t size = 0;  // bytes of the header itself (2..14)
};

// The header of one frame, written into out (at least max_header_size bytes);
// returns its length. Lengths use the minimal encoding, as §5.2 requires.
std::size_t write_header(char* out, opcode op, std::uint64_t payload_size, bool fin = true,
                         const mask_key* mask = nullptr);

// A whole unmasked frame (what a server sends).
std::string encode_frame(opcode op, std::string_view payload, bool fin = true);
// A whole masked frame (what a client sends; §5.3).
std::string encode_masked_frame(opcode op, std::string_view payload, const mask_key& mask, bool fin = true);

enum class parse_status {
    complete,   // the header is whole: h is filled
    need_more,  // fewer bytes than the header needs
    invalid,    // a protocol error: reason says which (the peer gets close code 1002)
};

struct parse_result {
    parse_status status = parse_status::need_more;
    header h;
    std::string_view reason;  // for invalid
};

// Reads the header at the start of bytes. No extension is negotiated, so any
// RSV bit is an error; so are unknown opcodes, control frames that are
// fragmented or longer than 125 bytes, non-minimal length encodings and
// 64-bit lengths with the top bit set.
parse_result parse_header(std::string_view bytes);

// XORs data with the mask key (§5.3), data being the bytes of the payload
// that start at payload offset `offset`. Masking and unmasking are the same.
void apply_mask(char* data, std::size_t size, const mask_key& mask, std::uint64_t offset = 0);

// Whether bytes are well-formed UTF-8 (RFC 3629): no overlong forms, no
// UTF-16 surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
// sequence. A text message and a close reason must be (§8.1: close 1007).
bool valid_utf8(std::string_view bytes);

}  // namespace beastio::ws
