// Socket.IO: the decoder and the reassembler fed a sequence of text and binary
// messages, as one connection would receive them.
//
// Properties: never crashes, never leaks, never amplifies. Every attachment
// buffer of a completed packet is one of the buffers received (shared, never
// copied), so the distinct binary bytes a packet holds never exceed the
// binary bytes that arrived; a packet holds no more placeholders than it
// announced attachments; the pending bytes never exceed max_packet_bytes; and
// a completed packet encodes and reassembles back to itself.
#include "fuzz_check.hpp"
#include "protocol/socketio/packet.hpp"

#include <set>
#include <string>
#include <vector>

using namespace beastio;

namespace {

constexpr std::size_t max_packet_bytes = 64 * 1024;

void binaries(const json::value& v, std::vector<const json::binary*>& out) {
    if (v.is_binary()) {
        out.push_back(&v.as_binary());
    } else if (v.is_array()) {
        for (const auto& e : v.as_array()) binaries(e, out);
    } else if (v.is_object()) {
        for (const auto& m : v.as_object()) binaries(m.second, out);
    }
}

void check_packet(const sio::packet& p, std::size_t binary_bytes_in) {
    std::vector<const json::binary*> refs;
    if (p.data) binaries(*p.data, refs);
    FUZZ_CHECK(refs.size() <= p.attachments);
    std::set<const std::string*> distinct;
    std::size_t held = 0;
    for (const auto* b : refs) {
        if (distinct.insert(b->data.get()).second) held += b->data->size();
    }
    FUZZ_CHECK(held <= binary_bytes_in);
    FUZZ_CHECK(held <= max_packet_bytes);

    // It encodes and reassembles to itself (numbers and key order are kept exactly).
    const auto wire = sio::encode(p);
    sio::reassembler again;
    auto out = again.on_text(wire.text);
    FUZZ_CHECK(out.has_value());
    for (const auto& a : wire.attachments) {
        FUZZ_CHECK(!out->has_value());
        out = again.on_binary(*a);
        FUZZ_CHECK(out.has_value());
    }
    FUZZ_CHECK(out->has_value());
    FUZZ_CHECK((*out)->data == p.data);
    FUZZ_CHECK((*out)->nsp == p.nsp);
    FUZZ_CHECK((*out)->id == p.id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    sio::decode_options options;
    options.max_packet_bytes = max_packet_bytes;
    sio::reassembler r(options);
    fuzz::pieces in(data, size);
    std::uint8_t control = 0;
    std::string_view bytes;
    std::size_t binary_bytes_in = 0;
    while (in.next(control, bytes)) {
        const bool binary = (control & 1) != 0;
        if (binary) binary_bytes_in += bytes.size();
        auto out = binary ? r.on_binary(std::string(bytes)) : r.on_text(bytes);
        FUZZ_CHECK(r.pending_bytes() <= max_packet_bytes);
        if (!out) {
            FUZZ_CHECK(!out.error().message.empty());
            FUZZ_CHECK(!r.pending());
            binary_bytes_in = 0;
            continue;
        }
        if (!*out) {
            FUZZ_CHECK(r.pending());
            continue;
        }
        check_packet(**out, binary_bytes_in);
        binary_bytes_in = 0;
    }
    return 0;
}
