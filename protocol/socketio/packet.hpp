// Socket.IO v5 packets (the default parser), carried in Engine.IO messages.
//
//   <type>[<attachments>-][<nsp>,][<ack id>][<JSON payload>]
//
// Decoding takes the Engine.IO message payload (the text after the leading
// '4'); encoding can produce either that text or the whole Engine.IO frame.
#pragma once

#include "protocol/json.hpp"
#include "protocol/result.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beastio::sio {

enum class packet_type : std::uint8_t {
    connect = 0,
    disconnect = 1,
    event = 2,
    ack = 3,
    connect_error = 4,
    binary_event = 5,
    binary_ack = 6,
};

std::string_view to_string(packet_type t);

// Largest ack id accepted and produced: JavaScript's Number.MAX_SAFE_INTEGER,
// since the peer is a JS client that parses ids with Number().
inline constexpr std::uint64_t max_ack_id = 9007199254740991ULL;

// Most attachments one packet may announce (socket.io-parser's maxAttachments).
inline constexpr std::size_t default_max_attachments = 10;

struct packet {
    packet_type type = packet_type::event;
    std::string nsp = "/";
    std::optional<std::uint64_t> id{};  // ack id
    std::optional<json::value> data{};  // absent = no payload (JS undefined)
    // Decoding: the count announced by a binary header. Encoding: ignored
    // (computed from the binary values inside data).
    std::size_t attachments = 0;

    friend bool operator==(const packet&, const packet&) = default;
};

enum class errc {
    empty,                     // no bytes
    unknown_type,              // first char not 0-6
    illegal_attachments,       // binary type without "<digits>-"
    too_many_attachments,      // more than max_attachments
    invalid_ack_id,            // ack id above max_ack_id
    invalid_json,              // payload is not JSON
    invalid_payload,           // JSON of the wrong shape for the type
    reserved_event,            // EVENT named connect, disconnect, ...
    placeholder_out_of_range,  // {"_placeholder":true,"num":N} with N not an attachment index
    too_many_placeholders,     // more placeholders than the packet announced attachments
    unexpected_binary,         // binary frame with no attachment expected
    unexpected_text,           // text packet while attachments are still expected
    packet_too_large,          // a binary packet whose attachments exceed max_packet_bytes
};

std::string_view to_string(errc e);

struct decode_options {
    std::size_t max_attachments = default_max_attachments;
    // Most attachment bytes one binary packet may carry in total (0 = no
    // limit). The server sets it to maxPayload: each message is at most
    // maxPayload already, and so are a packet's attachments together, which is
    // what a packet in pieces holds (its header is one more message).
    std::size_t max_packet_bytes = 0;
    json::parse_options json{};
};

// Decodes one Socket.IO packet. For BINARY_EVENT/BINARY_ACK the returned
// packet still holds placeholders and `attachments` says how many binary
// frames follow; use reassembler to get the complete packet.
result<packet, errc> decode(std::string_view text, const decode_options& options = {});

// Event names the protocol reserves: connect, connect_error, disconnect,
// disconnecting, newListener, removeListener.
bool is_reserved_event(std::string_view name);

struct encoded {
    std::string text;                      // header + JSON, see encode_frame
    std::vector<json::shared_bytes> attachments;  // binary frames to send after text, in order (shared, not copied)
};

// Encodes p. EVENT/ACK whose data contains binary values become
// BINARY_EVENT/BINARY_ACK with placeholders. `text` is the Socket.IO packet
// (e.g. `2["a"]`); encode_frame prefixes the Engine.IO message type
// (`42["a"]`), ready to be one WebSocket text frame.
encoded encode(const packet& p);
encoded encode_frame(const packet& p);

// Incremental decoder for one connection: feed it every Socket.IO text
// message and every binary message, in arrival order. It returns a complete
// packet (placeholders replaced by json::binary values) once one is ready.
//
// Memory is bounded by construction: every placeholder that names the same
// attachment shares that attachment's one buffer (never a copy), a packet may
// hold no more placeholders than attachments, and the attachments received
// so far never exceed max_packet_bytes.
class reassembler {
public:
    explicit reassembler(decode_options options = {}) : options_(std::move(options)) {}

    result<std::optional<packet>, errc> on_text(std::string_view text);
    result<std::optional<packet>, errc> on_binary(std::string bytes);

    // True while a binary header waits for its attachments.
    bool pending() const { return pending_ != nullptr; }
    // Attachment bytes held for the pending packet.
    std::size_t pending_bytes() const { return pending_bytes_; }
    // Drops a pending packet (after an error, or when the connection resets).
    void reset();

private:
    decode_options options_;
    // Held apart: every connection has a reassembler, few have a packet waiting.
    std::unique_ptr<packet> pending_;
    std::vector<json::shared_bytes> buffers_;
    std::size_t pending_bytes_ = 0;
};

}  // namespace beastio::sio
