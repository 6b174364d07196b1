// Engine.IO v4 packets over WebSocket (one packet per WebSocket message).
//
// Text frame:   <type char><data>         e.g. "4hello", "2", "3"
// Binary frame: the whole payload is a binary message (no type byte in v4)
// Text "b<base64>": a binary message in text form (b64=1 clients, and what
//                   the reference decoder also accepts on WebSocket).
#pragma once

#include "protocol/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace beastio::eio {

enum class packet_type : char {
    open = '0',
    close = '1',
    ping = '2',
    pong = '3',
    message = '4',
    upgrade = '5',
    noop = '6',
};

std::string_view to_string(packet_type t);

struct packet {
    packet_type type = packet_type::message;
    std::string data;     // text payload, or bytes when binary
    bool binary = false;  // only for packet_type::message

    friend bool operator==(const packet&, const packet&) = default;
};

enum class errc {
    empty,           // a text frame with no bytes at all
    unknown_type,    // first character is not 0-6 or 'b'
    invalid_base64,  // "b..." whose rest is not valid base64
};

// Decodes one WebSocket text frame.
result<packet, errc> decode_text(std::string_view frame);

// Decodes one WebSocket binary frame: always a binary message.
packet decode_binary(std::string_view frame);

// Encodes a text packet: the type character followed by the data.
std::string encode_text(packet_type type, std::string_view data = {});

// Encodes binary message bytes as the text form "b<base64>".
std::string encode_base64_message(std::string_view bytes);

// Standard base64 (RFC 4648, with padding), as Node's Buffer writes it.
std::string base64_encode(std::string_view bytes);
// Accepts standard base64 with or without padding; refuses other characters.
result<std::string, errc> base64_decode(std::string_view text);

// The open packet, first frame of every session.
struct open_params {
    std::string sid;
    std::uint64_t ping_interval_ms = 25000;
    std::uint64_t ping_timeout_ms = 20000;
    std::uint64_t max_payload = 1000000;
};

// 0{"sid":"...","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}
// Field order as the reference server writes it; upgrades is always [] because
// websocket is the only transport and it upgrades to nothing.
std::string encode_open(const open_params& p);

}  // namespace beastio::eio
