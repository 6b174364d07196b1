// Shared helpers for the JSON / Socket.IO unit tests: readable Catch2 output
// for values and packets, and short constructors for test rows.
#pragma once

#include "protocol/json.hpp"
#include "protocol/socketio/packet.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace beastio::test {

// A JSON number from its exact text.
inline json::value num(std::string_view text) { return json::number{std::string(text)}; }

// Socket.IO placeholder object as it appears in a decoded (not reassembled) packet.
inline json::value placeholder(int n) { return json::object{{"_placeholder", true}, {"num", n}}; }

inline json::value bin(std::string_view bytes) { return json::binary{std::string(bytes)}; }

// The bytes of shared attachment buffers, for comparisons with expected rows.
inline std::vector<std::string> bytes_of(const std::vector<json::shared_bytes>& buffers) {
    std::vector<std::string> out;
    out.reserve(buffers.size());
    for (const auto& b : buffers) out.push_back(*b);
    return out;
}

// Bytes with non-printable characters shown as \xNN, for messages.
inline std::string printable(std::string_view s) {
    std::string out;
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7F) {
            out.push_back(ch);
        } else {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xF]);
        }
    }
    return out;
}

inline std::string describe(const json::value& v) {
    // Binary values show as placeholders numbered from 0; add their sizes.
    std::vector<json::shared_bytes> atts;
    std::string text;
    json::serialize(v, text, &atts);
    std::string out = printable(text);
    for (std::size_t i = 0; i < atts.size(); ++i) {
        out += " +bin" + std::to_string(i) + "(" + std::to_string(atts[i]->size()) + " bytes)";
    }
    return out;
}

inline std::string describe(const sio::packet& p) {
    std::string out = "packet{" + std::string(sio::to_string(p.type)) + " nsp=" + p.nsp;
    if (p.id) {
        out += " id=" + std::to_string(*p.id);
    }
    out += " attachments=" + std::to_string(p.attachments);
    out += " data=" + (p.data ? describe(*p.data) : std::string("<absent>")) + "}";
    return out;
}

}  // namespace beastio::test

namespace Catch {

template <>
struct StringMaker<beastio::json::value> {
    static std::string convert(const beastio::json::value& v) { return beastio::test::describe(v); }
};

template <>
struct StringMaker<beastio::sio::packet> {
    static std::string convert(const beastio::sio::packet& p) { return beastio::test::describe(p); }
};

template <>
struct StringMaker<beastio::sio::errc> {
    static std::string convert(beastio::sio::errc e) { return std::string(beastio::sio::to_string(e)); }
};

template <>
struct StringMaker<beastio::json::errc> {
    static std::string convert(beastio::json::errc e) {
        return e == beastio::json::errc::syntax ? "syntax" : "too_deep";
    }
};

}  // namespace Catch
