#include "protocol/engineio/packet.hpp"

#include "protocol/json_string.hpp"

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>

namespace beastio::eio {


namespace {

constexpr char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr unsigned char b64_invalid = 0x80;

constexpr std::array<unsigned char, 256> make_b64_table() {
    std::array<unsigned char, 256> t{};
    for (auto& v : t) v = b64_invalid;
    for (unsigned char i = 0; i < 64; ++i) {
        t[static_cast<unsigned char>(b64_alphabet[i])] = i;
    }
    return t;
}

constexpr std::array<unsigned char, 256> b64_table = make_b64_table();

std::string describe_char(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x21 && c < 0x7F) return std::string{'\'', ch, '\''};
    static constexpr char hex[] = "0123456789ABCDEF";
    return std::string{"byte 0x"} + hex[c >> 4] + hex[c & 0xF];
}

// Called once decoding failed: finds the first offending character of the
// unpadded body to explain why.
error_info<errc> b64_char_error(std::string_view body) {
    for (std::size_t i = 0; i < body.size(); ++i) {
        const char ch = body[i];
        if (b64_table[static_cast<unsigned char>(ch)] & b64_invalid) {
            if (ch == '=') {
                return make_error(errc::invalid_base64,
                                  "invalid base64: misplaced '=' padding at offset " + std::to_string(i));
            }
            return make_error(errc::invalid_base64, "invalid base64: unexpected " + describe_char(ch) +
                                                        " at offset " + std::to_string(i));
        }
    }
    return make_error(errc::invalid_base64, "invalid base64");  // not reached
}

void append_uint(std::string& out, std::uint64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

}  // namespace

std::string_view to_string(packet_type t) {
    switch (t) {
        case packet_type::open: return "open";
        case packet_type::close: return "close";
        case packet_type::ping: return "ping";
        case packet_type::pong: return "pong";
        case packet_type::message: return "message";
        case packet_type::upgrade: return "upgrade";
        case packet_type::noop: return "noop";
    }
    return "unknown";
}

result<packet, errc> decode_text(std::string_view frame) {
    if (frame.empty()) {
        return make_error(errc::empty, "empty Engine.IO packet (text frame with no type character)");
    }
    const char c = frame.front();
    if (c >= '0' && c <= '6') {
        return packet{static_cast<packet_type>(c), std::string(frame.substr(1)), false};
    }
    if (c == 'b') {
        auto bytes = base64_decode(frame.substr(1));
        if (!bytes) {
            return make_error(errc::invalid_base64, "Engine.IO 'b' message: " + bytes.error().message);
        }
        return packet{packet_type::message, std::move(bytes).value(), true};
    }
    return make_error(errc::unknown_type,
                      "unknown Engine.IO packet type " + describe_char(c) + " (expected 0-6 or 'b')");
}

packet decode_binary(std::string_view frame) {
    return packet{packet_type::message, std::string(frame), true};
}

std::string encode_text(packet_type type, std::string_view data) {
    std::string out;
    out.reserve(1 + data.size());
    out.push_back(static_cast<char>(type));
    out.append(data);
    return out;
}

std::string encode_base64_message(std::string_view bytes) {
    std::string out;
    out.reserve(1 + (bytes.size() + 2) / 3 * 4);
    out.push_back('b');
    out += base64_encode(bytes);
    return out;
}

std::string base64_encode(std::string_view bytes) {
    const std::size_t n = bytes.size();
    std::string out((n + 2) / 3 * 4, '\0');
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    char* o = out.data();
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
        *o++ = b64_alphabet[(v >> 18) & 0x3F];
        *o++ = b64_alphabet[(v >> 12) & 0x3F];
        *o++ = b64_alphabet[(v >> 6) & 0x3F];
        *o++ = b64_alphabet[v & 0x3F];
    }
    const std::size_t rest = n - i;
    if (rest == 1) {
        const std::uint32_t v = std::uint32_t{in[i]} << 16;
        *o++ = b64_alphabet[(v >> 18) & 0x3F];
        *o++ = b64_alphabet[(v >> 12) & 0x3F];
        *o++ = '=';
        *o++ = '=';
    } else if (rest == 2) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8);
        *o++ = b64_alphabet[(v >> 18) & 0x3F];
        *o++ = b64_alphabet[(v >> 12) & 0x3F];
        *o++ = b64_alphabet[(v >> 6) & 0x3F];
        *o++ = '=';
    }
    return out;
}

// Strict where it matters: only the standard alphabet, '=' only as the final
// one or two characters of a length that is a multiple of 4, and never a single
// leftover character. Like Node, the unused low bits of the last character are
// not required to be zero ("AR==" decodes to 01).
result<std::string, errc> base64_decode(std::string_view text) {
    const std::size_t n = text.size();
    std::size_t pad = 0;
    if (n >= 1 && text[n - 1] == '=') pad = (n >= 2 && text[n - 2] == '=') ? 2 : 1;
    if (pad != 0 && n % 4 != 0) {
        return make_error(errc::invalid_base64,
                          "invalid base64: padded input of length " + std::to_string(n) +
                              " is not a multiple of 4");
    }
    const std::string_view body = text.substr(0, n - pad);
    const std::size_t rem = body.size() % 4;
    if (rem == 1) {
        return make_error(errc::invalid_base64, "invalid base64: length " + std::to_string(body.size()) +
                                                    " leaves a single character (6 bits) over");
    }

    std::string out(body.size() / 4 * 3 + (rem == 0 ? 0 : rem - 1), '\0');
    const auto* in = reinterpret_cast<const unsigned char*>(body.data());
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    const std::size_t full = body.size() - rem;
    unsigned char bad = 0;
    for (std::size_t i = 0; i < full; i += 4) {
        const unsigned char a = b64_table[in[i]], b = b64_table[in[i + 1]], c = b64_table[in[i + 2]],
                            d = b64_table[in[i + 3]];
        bad |= static_cast<unsigned char>(a | b | c | d);
        const std::uint32_t v = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) |
                                (std::uint32_t{c} << 6) | std::uint32_t{d};
        *o++ = static_cast<unsigned char>(v >> 16);
        *o++ = static_cast<unsigned char>(v >> 8);
        *o++ = static_cast<unsigned char>(v);
    }
    if (rem != 0) {
        const unsigned char a = b64_table[in[full]], b = b64_table[in[full + 1]];
        const unsigned char c = rem == 3 ? b64_table[in[full + 2]] : 0;
        bad |= static_cast<unsigned char>(a | b | c);
        const std::uint32_t v = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) | (std::uint32_t{c} << 6);
        *o++ = static_cast<unsigned char>(v >> 16);
        if (rem == 3) *o++ = static_cast<unsigned char>(v >> 8);
    }
    if (bad & b64_invalid) return b64_char_error(body);
    return out;
}

std::string encode_open(const open_params& p) {
    std::string out;
    out.reserve(110 + p.sid.size());
    out += "0{\"sid\":";
    json::write_string(p.sid, out);
    out += ",\"upgrades\":[],\"pingInterval\":";
    append_uint(out, p.ping_interval_ms);
    out += ",\"pingTimeout\":";
    append_uint(out, p.ping_timeout_ms);
    out += ",\"maxPayload\":";
    append_uint(out, p.max_payload);
    out.push_back('}');
    return out;
}

}  // namespace beastio::eio
