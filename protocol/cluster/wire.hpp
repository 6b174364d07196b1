// What socket.io nodes say to each other through Redis, byte-compatible with
// @socket.io/redis-adapter 8.x and @socket.io/redis-emitter 5.x: a broadcast
// is the msgpack (notepack.io) of [uid, packet, opts] published on
// "<key>#<nsp>#" (or "<key>#<nsp>#<room>#" when it names exactly one room).
// Also the bridge between the JSON tree and msgpack values, with JavaScript's
// number semantics. Pure: no I/O.
#pragma once

#include "protocol/json.hpp"
#include "protocol/msgpack/msgpack.hpp"
#include "protocol/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beastio::cluster_wire {

// A JSON value as notepack.io encodes the JavaScript value JSON.parse gives:
// integers (exactly representable) as msgpack integers, other numbers as
// float64, binaries as bin, objects as maps in order.
msgpack::value to_msgpack(const json::value& v);
// A msgpack value as the JSON tree: bin becomes binary, float64 is written
// as JavaScript writes the number (1.5, 1e+21, 1e-7), a non-string map key as
// JavaScript's String(key) ("42", "1,2", "[object Object]"), ext (a Date, say) as null.
json::value to_json(const msgpack::value& v);
// Number.prototype.toString for a finite double ("null" otherwise, as JSON.stringify).
std::string js_number(double d);

struct broadcast_flags {
    bool is_volatile = false;
    bool local = false;
};

struct broadcast_message {
    std::string uid;                  // the publishing node ("emitter" for @socket.io/redis-emitter)
    std::string nsp = "/";
    int type = 2;                     // socket.io-parser's EVENT (binary is found in data when encoding frames)
    json::value data;                 // ["event", args...]
    std::vector<std::string> rooms;   // empty: the whole namespace
    std::vector<std::string> except;
    broadcast_flags flags;
};

enum class errc {
    malformed,  // not what a socket.io node or the emitter publishes (the message says why)
};

std::string encode_broadcast(const broadcast_message& m);
// Refuses bytes that are not msgpack of [uid, {type, data, nsp?}, {rooms?, except?, flags?}].
result<broadcast_message, errc> decode_broadcast(std::string_view bytes);

// "<key>#<nsp>#", or with exactly one room "<key>#<nsp>#<room>#".
std::string broadcast_channel(std::string_view key, std::string_view nsp);
std::string room_channel(std::string_view key, std::string_view nsp, std::string_view room);

}  // namespace beastio::cluster_wire
