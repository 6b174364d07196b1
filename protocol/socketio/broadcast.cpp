// Encode-once EVENT / ACK frames for server emits.
#include "protocol/socketio/broadcast.hpp"

#include "protocol/socketio/header.hpp"

#include <charconv>

namespace beastio::sio {

namespace {

// Writes "4<type>[<nsp>,][<id>]", then body(out, attachments); a body that
// produced attachments makes the packet its binary form.
template <class Body>
encoded build_frame(packet_type type, std::string_view nsp, std::optional<std::uint64_t> id, std::size_t body_hint,
                    Body&& body) {
    encoded e;
    e.text.reserve(1 + detail::header_size(nsp, id) + body_hint);
    e.text.push_back('4');
    detail::write_header(e.text, type, nsp, id);
    body(e.text, e.attachments);
    if (!e.attachments.empty()) detail::write_attachment_count(e.text, 1, e.attachments.size());
    return e;
}

}  // namespace

namespace {

// ["event",...args] and, with an offset, one more string argument last.
encoded event_frame(std::string_view nsp, std::string_view event, std::span<const json::value> args,
                    std::optional<std::uint64_t> ack_id, const std::string_view* offset) {
    const std::size_t hint =
        json::escaped_size(event) + 2 + 16 * args.size() + (offset ? 1 + json::escaped_size(*offset) : 0);
    return build_frame(packet_type::event, nsp, ack_id, hint, [&](std::string& out, std::vector<json::shared_bytes>& attachments) {
        out.push_back('[');
        json::write_string(event, out);
        for (const auto& arg : args) {
            out.push_back(',');
            json::serialize(arg, out, &attachments);
        }
        if (offset) {
            out.push_back(',');
            json::write_string(*offset, out);
        }
        out.push_back(']');
    });
}

}  // namespace

encoded encode_event_frame(std::string_view nsp, std::string_view event, std::span<const json::value> args,
                           std::optional<std::uint64_t> ack_id) {
    return event_frame(nsp, event, args, ack_id, nullptr);
}

encoded encode_event_frame_with_offset(std::string_view nsp, std::string_view event,
                                       std::span<const json::value> args, std::string_view offset) {
    return event_frame(nsp, event, args, std::nullopt, &offset);
}

namespace {

std::string int_event_frame(std::string_view nsp, std::string_view event, std::int64_t n,
                            const std::string_view* offset) {
    char digits[20];
    const auto res = std::to_chars(digits, digits + sizeof digits, n);
    const auto digits_len = static_cast<std::size_t>(res.ptr - digits);

    std::string out;
    out.reserve(1 + detail::header_size(nsp, std::nullopt) + 1 + json::escaped_size(event) + 1 + digits_len +
                (offset ? 1 + json::escaped_size(*offset) : 0) + 1);
    out.push_back('4');
    detail::write_header(out, packet_type::event, nsp, std::nullopt);
    out.push_back('[');
    json::write_string(event, out);
    out.push_back(',');
    out.append(digits, digits_len);
    if (offset) {
        out.push_back(',');
        json::write_string(*offset, out);
    }
    out.push_back(']');
    return out;
}

}  // namespace

std::string encode_int_event_frame(std::string_view nsp, std::string_view event, std::int64_t n) {
    return int_event_frame(nsp, event, n, nullptr);
}

std::string encode_int_event_frame(std::string_view nsp, std::string_view event, std::int64_t n,
                                   std::string_view offset) {
    return int_event_frame(nsp, event, n, &offset);
}

encoded encode_ack_frame(std::string_view nsp, std::uint64_t id, std::span<const json::value> args) {
    return build_frame(packet_type::ack, nsp, id, 2 + 16 * args.size(),
                       [&](std::string& out, std::vector<json::shared_bytes>& attachments) {
                           out.push_back('[');
                           bool first = true;
                           for (const auto& arg : args) {
                               if (!first) {
                                   out.push_back(',');
                               }
                               first = false;
                               json::serialize(arg, out, &attachments);
                           }
                           out.push_back(']');
                       });
}

}  // namespace beastio::sio
