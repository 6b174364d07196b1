// Encode-once EVENT / ACK frames for server emits.
#include "protocol/socketio/broadcast.hpp"

#include <charconv>

namespace beastio::sio {

namespace {

bool has_nsp(std::string_view nsp) { return !nsp.empty() && nsp != "/"; }

// Bytes json::write_string produces for s, quotes included.
std::size_t escaped_size(std::string_view s) {
    std::size_t size = s.size() + 2;
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20) {
            const bool short_form = c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t';
            size += short_form ? 1 : 5;
        } else if (c == '"' || c == '\\') {
            size += 1;
        }
    }
    return size;
}

void append_uint(std::string& out, std::uint64_t n) {
    char buf[20];
    const auto res = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, res.ptr);
}

// Writes "4<type>[<nsp>,][<id>]", then calls body(out, attachments); when
// attachments were produced, turns the type into its binary form and inserts
// "<count>-" after it (binary emits are rare: one memmove then).
template <class Body>
encoded build_frame(char type, std::string_view nsp, std::optional<std::uint64_t> id, std::size_t body_hint,
                    Body&& body) {
    encoded e;
    e.text.reserve(2 + (has_nsp(nsp) ? nsp.size() + 1 : 0) + (id ? 16 : 0) + body_hint);
    e.text.push_back('4');
    e.text.push_back(type);
    if (has_nsp(nsp)) {
        e.text.append(nsp);
        e.text.push_back(',');
    }
    if (id) {
        append_uint(e.text, *id);
    }
    body(e.text, e.attachments);
    if (!e.attachments.empty()) {
        e.text[1] = static_cast<char>(type + 3);  // 2 -> 5, 3 -> 6
        char buf[21];
        auto res = std::to_chars(buf, buf + sizeof buf - 1, e.attachments.size());
        *res.ptr++ = '-';
        e.text.insert(2, buf, static_cast<std::size_t>(res.ptr - buf));
    }
    return e;
}

}  // namespace

encoded encode_event_frame(std::string_view nsp, std::string_view event, std::span<const json::value> args,
                           std::optional<std::uint64_t> ack_id) {
    const std::size_t hint = escaped_size(event) + 2 + 16 * args.size();
    return build_frame('2', nsp, ack_id, hint, [&](std::string& out, std::vector<std::string>& attachments) {
        out.push_back('[');
        json::write_string(event, out);
        for (const auto& arg : args) {
            out.push_back(',');
            json::serialize(arg, out, &attachments);
        }
        out.push_back(']');
    });
}

std::string encode_int_event_frame(std::string_view nsp, std::string_view event, std::int64_t n) {
    char digits[20];
    const auto res = std::to_chars(digits, digits + sizeof digits, n);
    const auto digits_len = static_cast<std::size_t>(res.ptr - digits);

    std::string out;
    out.reserve(2 + (has_nsp(nsp) ? nsp.size() + 1 : 0) + 1 + escaped_size(event) + 1 + digits_len + 1);
    out.append("42");
    if (has_nsp(nsp)) {
        out.append(nsp);
        out.push_back(',');
    }
    out.push_back('[');
    json::write_string(event, out);
    out.push_back(',');
    out.append(digits, digits_len);
    out.push_back(']');
    return out;
}

encoded encode_ack_frame(std::string_view nsp, std::uint64_t id, std::span<const json::value> args) {
    return build_frame('3', nsp, id, 2 + 16 * args.size(),
                       [&](std::string& out, std::vector<std::string>& attachments) {
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
