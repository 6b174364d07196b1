// @socket.io/redis-streams-adapter 0.3.x's formats: the messages of
// socket.io-adapter's ClusterAdapter as stream entries (one stream, entry ids
// as recovery offsets) and as pub/sub payloads, and the sessions kept for
// connection state recovery. docs/scaling.md. Pure: no I/O.
//
// - An entry (XADD <stream> MAXLEN ~ N * uid <uid> nsp <nsp> type "<n>" data <d>):
//   d is the JSON of the message's data, or the base64 of its msgpack when it
//   holds binary (the first byte tells them apart: '{' is JSON).
// - A pub/sub payload (on "<key>#<nsp>#" and "<key>#<nsp>#<uid>#"): the msgpack
//   of {uid, nsp, type, data}; broadcasts with acks, server-side emits and
//   fetches go this way, as their answers do.
// - A session (SET sio:session:<pid> ... PX <window>): the base64 of the
//   msgpack of {sid, pid, rooms, data}; beastio adds "offset", where the
//   socket started reading, for a client that got no event before it was cut.
#pragma once

#include "protocol/json.hpp"
#include "protocol/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace beastio::cluster_wire {

// socket.io-adapter's MessageType; session_taken is beastio's own (Node nodes ignore unknown types).
enum class message_type : int {
    initial_heartbeat = 1,
    heartbeat = 2,
    broadcast = 3,
    sockets_join = 4,
    sockets_leave = 5,
    disconnect_sockets = 6,
    fetch_sockets = 7,
    fetch_sockets_response = 8,
    server_side_emit = 9,
    server_side_emit_response = 10,
    broadcast_client_count = 11,
    broadcast_ack = 12,
    adapter_close = 13,
    session_taken = 101,  // {sid, pid}: a node resumed this session; whoever still holds it lets go
};

struct cluster_message {
    std::string uid;  // the sending node
    std::string nsp = "/";
    int type = 0;
    json::value data;  // an object; null when the message has none
};

enum class streams_errc {
    malformed,  // not what a streams-adapter node writes (the message says why)
};

using entry_fields = std::vector<std::pair<std::string, std::string>>;

// The fields of the stream entry, in the Node adapter's order.
entry_fields encode_entry(const cluster_message& m);
result<cluster_message, streams_errc> decode_entry(const entry_fields& fields);

std::string encode_pubsub(const cluster_message& m);
result<cluster_message, streams_errc> decode_pubsub(std::string_view bytes);

// A stream entry id, "<ms>-<seq>".
struct stream_id {
    std::uint64_t ms = 0;
    std::uint64_t seq = 0;
    friend auto operator<=>(const stream_id&, const stream_id&) = default;
    std::string str() const;
};
// Refuses anything but digits, '-', digits (the offsets the adapter gives out).
std::optional<stream_id> parse_stream_id(std::string_view text);

// A BROADCAST's data: {packet: {type: 2, data, nsp}, opts: {rooms, except, flags}} (+ requestId).
struct broadcast_body {
    json::value data;  // ["event", args...]
    std::vector<std::string> rooms, except;
    bool is_volatile = false;
    bool has_ack_id = false;           // the packet carries an ack id (never replayed)
    std::optional<std::string> request_id;  // a broadcast that wants acks
    std::optional<long long> timeout;  // flags.timeout (ms), for a broadcast that wants acks
};
json::value make_broadcast_data(const broadcast_body& b, std::string_view nsp);
result<broadcast_body, streams_errc> read_broadcast_data(const json::value& data);

// {rooms, except, flags: {}}: the selection SOCKETS_JOIN and its kin carry.
json::value selection_data(const std::vector<std::string>& rooms, const std::vector<std::string>& except);
// The names of a list (rooms may be numbers on the JavaScript side); empty when absent.
std::vector<std::string> names(const json::value* list);

struct session_record {
    std::string sid, pid;
    std::vector<std::string> rooms;  // socket.io lists the socket's own id among them
    json::value data;
    std::optional<std::string> offset;  // beastio's: where the socket started reading
};
std::string encode_session(const session_record& s);
result<session_record, streams_errc> decode_session(std::string_view text);

// Whether a session in these rooms missed a broadcast to rooms/except
// (the streams adapter's replay filter).
bool replay_includes(const std::vector<std::string>& session_rooms, const std::vector<std::string>& rooms,
                     const std::vector<std::string>& except);

}  // namespace beastio::cluster_wire
