// Socket.IO v5 packet codec (the default socket.io-parser format).
#include "protocol/socketio/packet.hpp"

#include "protocol/socketio/header.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>

namespace beastio::sio {

std::string_view to_string(packet_type t) {
    switch (t) {
        case packet_type::connect: return "CONNECT";
        case packet_type::disconnect: return "DISCONNECT";
        case packet_type::event: return "EVENT";
        case packet_type::ack: return "ACK";
        case packet_type::connect_error: return "CONNECT_ERROR";
        case packet_type::binary_event: return "BINARY_EVENT";
        case packet_type::binary_ack: return "BINARY_ACK";
    }
    return "UNKNOWN";
}

std::string_view to_string(errc e) {
    switch (e) {
        case errc::empty: return "empty";
        case errc::unknown_type: return "unknown_type";
        case errc::illegal_attachments: return "illegal_attachments";
        case errc::too_many_attachments: return "too_many_attachments";
        case errc::invalid_ack_id: return "invalid_ack_id";
        case errc::invalid_json: return "invalid_json";
        case errc::invalid_payload: return "invalid_payload";
        case errc::reserved_event: return "reserved_event";
        case errc::placeholder_out_of_range: return "placeholder_out_of_range";
        case errc::unexpected_binary: return "unexpected_binary";
        case errc::unexpected_text: return "unexpected_text";
        case errc::too_many_placeholders: return "too_many_placeholders";
        case errc::packet_too_large: return "packet_too_large";
    }
    return "unknown";
}

bool is_reserved_event(std::string_view name) {
    static constexpr std::array<std::string_view, 6> reserved = {
        "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
    };
    for (auto r : reserved) {
        if (r == name) {
            return true;
        }
    }
    return false;
}

// ---------------------------------------------------------------------------
// Decoding

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A byte for an error message: printable ASCII as is, anything else as \xNN.
std::string describe_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) {
        return fmt::format("'{}'", c);
    }
    return fmt::format("'\\x{:02x}'", u);
}

error_info<errc> fail(errc code, std::string message) { return make_error(code, std::move(message)); }

// Checks the payload shape for the packet type (socket.io-parser's
// isPayloadValid, except that EVENT/ACK/CONNECT_ERROR need a payload).
std::optional<error_info<errc>> check_payload(const packet& p) {
    const auto type_name = to_string(p.type);
    switch (p.type) {
        case packet_type::connect:
            if (p.data && !p.data->is_object()) {
                return fail(errc::invalid_payload, "CONNECT payload must be a JSON object");
            }
            return std::nullopt;
        case packet_type::disconnect:
            if (p.data) {
                return fail(errc::invalid_payload, "DISCONNECT must not carry a payload");
            }
            return std::nullopt;
        case packet_type::connect_error:
            if (!p.data || !(p.data->is_string() || p.data->is_object())) {
                return fail(errc::invalid_payload, "CONNECT_ERROR payload must be a string or a JSON object");
            }
            return std::nullopt;
        case packet_type::event:
        case packet_type::binary_event: {
            if (!p.data || !p.data->is_array() || p.data->as_array().empty()) {
                return fail(errc::invalid_payload, fmt::format("{} payload must be a non-empty JSON array", type_name));
            }
            const json::value& name = p.data->as_array().front();
            if (name.is_number()) {
                return std::nullopt;
            }
            if (!name.is_string()) {
                return fail(errc::invalid_payload,
                            fmt::format("{} name (first array element) must be a string or a number", type_name));
            }
            if (is_reserved_event(name.as_string())) {
                return fail(errc::reserved_event, fmt::format("event name \"{}\" is reserved", name.as_string()));
            }
            return std::nullopt;
        }
        case packet_type::ack:
        case packet_type::binary_ack:
            if (!p.data || !p.data->is_array()) {
                return fail(errc::invalid_payload, fmt::format("{} payload must be a JSON array", type_name));
            }
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

result<packet, errc> decode(std::string_view text, const decode_options& options) {
    if (text.empty()) {
        return fail(errc::empty, "empty Socket.IO packet");
    }
    const std::size_t n = text.size();
    if (text[0] < '0' || text[0] > '6') {
        return fail(errc::unknown_type, fmt::format("unknown Socket.IO packet type {}", describe_char(text[0])));
    }
    packet p;
    p.type = static_cast<packet_type>(text[0] - '0');
    std::size_t i = 1;

    // <attachments>- for BINARY_EVENT / BINARY_ACK
    if (p.type == packet_type::binary_event || p.type == packet_type::binary_ack) {
        const std::size_t start = i;
        while (i < n && is_digit(text[i])) {
            ++i;
        }
        if (i == start || i == n || text[i] != '-') {
            return fail(errc::illegal_attachments,
                        fmt::format("{} header must carry \"<count>-\" after the type", to_string(p.type)));
        }
        std::size_t count = 0;
        bool too_many = false;
        for (std::size_t k = start; k < i; ++k) {
            count = count * 10 + static_cast<std::size_t>(text[k] - '0');
            if (count > options.max_attachments) {
                too_many = true;
                break;
            }
        }
        if (too_many) {
            return fail(errc::too_many_attachments,
                        fmt::format("packet announces {} attachments, at most {} allowed",
                                    text.substr(start, i - start), options.max_attachments));
        }
        p.attachments = count;
        ++i;  // '-'
    }

    // <nsp>, : up to the first ',' or the end of the text
    if (i < n && text[i] == '/') {
        const std::size_t comma = text.find(',', i);
        if (comma == std::string_view::npos) {
            p.nsp.assign(text.substr(i));
            i = n;
        } else {
            p.nsp.assign(text.substr(i, comma - i));
            i = comma + 1;
        }
    }

    // <ack id>
    if (i < n && is_digit(text[i])) {
        const std::size_t start = i;
        std::uint64_t id = 0;
        bool overflow = false;
        while (i < n && is_digit(text[i])) {
            if (!overflow) {
                id = id * 10 + static_cast<std::uint64_t>(text[i] - '0');
                overflow = id > max_ack_id;
            }
            ++i;
        }
        if (overflow) {
            return fail(errc::invalid_ack_id, fmt::format("ack id {} is above the largest allowed ({})",
                                                          text.substr(start, i - start), max_ack_id));
        }
        p.id = id;
    }

    // <JSON payload>
    if (i < n) {
        auto parsed = json::parse(text.substr(i), options.json);
        if (!parsed) {
            return fail(errc::invalid_json,
                        fmt::format("{} payload is not valid JSON: {}", to_string(p.type), parsed.error().message));
        }
        p.data = std::move(parsed).value();
    }

    if (auto err = check_payload(p)) {
        return std::move(*err);
    }
    return p;
}

// ---------------------------------------------------------------------------
// Encoding

namespace detail {

namespace {
bool has_nsp(std::string_view nsp) { return !nsp.empty() && nsp != "/"; }

std::size_t digits(std::uint64_t n) {
    std::size_t d = 1;
    while (n >= 10) {
        n /= 10;
        ++d;
    }
    return d;
}
}  // namespace

std::size_t header_size(std::string_view nsp, std::optional<std::uint64_t> id) {
    return 1 + (has_nsp(nsp) ? nsp.size() + 1 : 0) + (id ? digits(*id) : 0);
}

void write_header(std::string& out, packet_type type, std::string_view nsp, std::optional<std::uint64_t> id) {
    out.push_back(static_cast<char>('0' + static_cast<int>(type)));
    if (has_nsp(nsp)) {
        out.append(nsp);
        out.push_back(',');
    }
    if (id) {
        char buf[20];
        const auto res = std::to_chars(buf, buf + sizeof buf, *id);
        out.append(buf, res.ptr);
    }
}

void write_attachment_count(std::string& out, std::size_t type_pos, std::size_t count) {
    if (out[type_pos] == '2' || out[type_pos] == '3') out[type_pos] = static_cast<char>(out[type_pos] + 3);  // 2 -> 5, 3 -> 6
    char buf[21];
    auto res = std::to_chars(buf, buf + sizeof buf - 1, count);
    *res.ptr++ = '-';
    out.insert(type_pos + 1, buf, static_cast<std::size_t>(res.ptr - buf));
}

}  // namespace detail

namespace {

void encode_into(const packet& p, std::string& out, std::vector<json::shared_bytes>& attachments) {
    const bool event_like = p.type == packet_type::event || p.type == packet_type::ack;
    const bool binary_type = p.type == packet_type::binary_event || p.type == packet_type::binary_ack;

    const std::size_t type_pos = out.size();
    detail::write_header(out, p.type, p.nsp, p.id);
    if (p.data) {
        // Only EVENT/ACK (and their binary forms) can carry attachments; for
        // other types a binary value is written as a placeholder and dropped.
        json::serialize(*p.data, out, (event_like || binary_type) ? &attachments : nullptr);
    }
    if (binary_type || (event_like && !attachments.empty())) detail::write_attachment_count(out, type_pos, attachments.size());
}

std::size_t size_hint(const packet& p) { return 24 + p.nsp.size(); }

}  // namespace

encoded encode(const packet& p) {
    encoded e;
    e.text.reserve(size_hint(p));
    encode_into(p, e.text, e.attachments);
    return e;
}

encoded encode_frame(const packet& p) {
    encoded e;
    e.text.reserve(size_hint(p) + 1);
    e.text.push_back('4');
    encode_into(p, e.text, e.attachments);
    return e;
}

}  // namespace beastio::sio
