// WebSocket frame headers: RFC 6455 §5.7's examples byte for byte, the length
// encodings at their edges, and every malformed header the parser refuses.
#include "protocol/websocket/frame.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace ws = beastio::ws;
using namespace std::string_literals;

namespace {
std::string bytes(std::initializer_list<int> v) {
    std::string s;
    for (int b : v) s.push_back(static_cast<char>(b));
    return s;
}
const ws::mask_key rfc_mask{0x37, 0xfa, 0x21, 0x3d};
}  // namespace

TEST_CASE("websocket.rfc6455_examples", "[ws]") {
    struct row {
        std::string name;
        std::string wire;
        bool fin;
        ws::opcode op;
        bool masked;
        std::string payload;  // unmasked
    };
    const std::vector<row> rows = {
        {"unmasked text", bytes({0x81, 0x05}) + "Hello", true, ws::opcode::text, false, "Hello"},
        {"masked text", bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}), true,
         ws::opcode::text, true, "Hello"},
        {"first fragment", bytes({0x01, 0x03}) + "Hel", false, ws::opcode::text, false, "Hel"},
        {"last fragment", bytes({0x80, 0x02}) + "lo", true, ws::opcode::continuation, false, "lo"},
        {"unmasked ping", bytes({0x89, 0x05}) + "Hello", true, ws::opcode::ping, false, "Hello"},
        {"masked pong", bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}), true,
         ws::opcode::pong, true, "Hello"},
        {"256 bytes binary", bytes({0x82, 0x7e, 0x01, 0x00}) + std::string(256, 'x'), true, ws::opcode::binary,
         false, std::string(256, 'x')},
        {"64 KiB binary", bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}) + std::string(65536, 'y'), true,
         ws::opcode::binary, false, std::string(65536, 'y')},
    };
    for (const auto& r : rows) {
        INFO(r.name);
        const auto p = ws::parse_header(r.wire);
        REQUIRE(p.status == ws::parse_status::complete);
        CHECK(p.h.fin == r.fin);
        CHECK(p.h.op == r.op);
        CHECK(p.h.masked == r.masked);
        CHECK(p.h.payload_size == r.payload.size());
        REQUIRE(p.h.size + p.h.payload_size == r.wire.size());
        std::string payload = r.wire.substr(p.h.size);
        if (p.h.masked) {
            CHECK(p.h.mask == rfc_mask);
            ws::apply_mask(payload.data(), payload.size(), p.h.mask);
        }
        CHECK(payload == r.payload);
        // And the encoders give the same bytes back.
        const std::string again = r.masked ? ws::encode_masked_frame(r.op, r.payload, rfc_mask, r.fin)
                                           : ws::encode_frame(r.op, r.payload, r.fin);
        CHECK(again == r.wire);
    }
}

TEST_CASE("websocket.length_encoding_edges", "[ws]") {
    struct row {
        std::uint64_t size;
        std::size_t header_size;  // unmasked
    };
    const std::vector<row> rows = {{0, 2},      {1, 2},      {125, 2},         {126, 4},
                                   {127, 4},    {65535, 4},  {65536, 10},      {(1ull << 32) + 5, 10},
                                   {(1ull << 63) - 1, 10}};
    for (const auto& r : rows) {
        INFO(r.size);
        char h[ws::max_header_size];
        const auto n = ws::write_header(h, ws::opcode::binary, r.size);
        CHECK(n == r.header_size);
        const auto p = ws::parse_header(std::string_view(h, n));
        REQUIRE(p.status == ws::parse_status::complete);
        CHECK(p.h.payload_size == r.size);
        CHECK(p.h.size == n);
        // Masked: four more bytes, the key read back.
        const ws::mask_key key{1, 2, 3, 4};
        const auto m = ws::write_header(h, ws::opcode::binary, r.size, true, &key);
        CHECK(m == r.header_size + 4);
        const auto pm = ws::parse_header(std::string_view(h, m));
        REQUIRE(pm.status == ws::parse_status::complete);
        CHECK(pm.h.masked);
        CHECK(pm.h.mask == key);
        CHECK(pm.h.payload_size == r.size);
    }
}

TEST_CASE("websocket.incomplete_headers_need_more", "[ws]") {
    const ws::mask_key key{9, 8, 7, 6};
    for (std::uint64_t size : {5ull, 300ull, 70000ull}) {
        for (bool masked : {false, true}) {
            char h[ws::max_header_size];
            const auto n = ws::write_header(h, ws::opcode::text, size, true, masked ? &key : nullptr);
            for (std::size_t cut = 0; cut < n; ++cut) {
                INFO(size << " masked=" << masked << " cut=" << cut);
                CHECK(ws::parse_header(std::string_view(h, cut)).status == ws::parse_status::need_more);
            }
            CHECK(ws::parse_header(std::string_view(h, n)).status == ws::parse_status::complete);
        }
    }
}

TEST_CASE("websocket.invalid_headers", "[ws]") {
    struct row {
        std::string wire;
        std::string reason;
    };
    const std::vector<row> rows = {
        {bytes({0xc1, 0x00}), "reserved bits set"},  // RSV1 (no permessage-deflate here)
        {bytes({0xa1, 0x00}), "reserved bits set"},
        {bytes({0x91, 0x00}), "reserved bits set"},
        {bytes({0x83, 0x00}), "unknown opcode"},
        {bytes({0x87, 0x00}), "unknown opcode"},
        {bytes({0x8b, 0x00}), "unknown opcode"},
        {bytes({0x8f, 0x00}), "unknown opcode"},
        {bytes({0x09, 0x00}), "fragmented control frame"},
        {bytes({0x08, 0x00}), "fragmented control frame"},
        {bytes({0x89, 0x7e, 0x00, 0x7e}), "control frame longer than 125 bytes"},
        {bytes({0x81, 0x7e, 0x00, 0x7d}), "length not minimally encoded"},
        {bytes({0x81, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff}), "length not minimally encoded"},
        {bytes({0x81, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}), "64-bit length with the top bit set"},
    };
    for (const auto& r : rows) {
        INFO(r.reason);
        const auto p = ws::parse_header(r.wire);
        CHECK(p.status == ws::parse_status::invalid);
        CHECK(p.reason == r.reason);
    }
}

TEST_CASE("websocket.mask_offsets_compose", "[ws]") {
    // Unmasking a payload in pieces (as it arrives) equals unmasking it whole.
    const ws::mask_key key{0xde, 0xad, 0xbe, 0xef};
    const std::string plain = "42[\"integer\",123456789]";
    std::string whole = plain;
    ws::apply_mask(whole.data(), whole.size(), key);
    CHECK(whole != plain);
    for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
        std::string pieces = whole;
        ws::apply_mask(pieces.data(), cut, key, 0);
        ws::apply_mask(pieces.data() + cut, pieces.size() - cut, key, cut);
        CHECK(pieces == plain);
    }
}

TEST_CASE("websocket.utf8_validation", "[ws][utf8]") {
    struct row {
        std::string bytes;
        bool valid;
        const char* what;
    };
    const std::vector<row> rows = {
        {"", true, "empty"},
        {"42[\"integer\",1]", true, "ASCII"},
        {"h\xc3\xa9llo w\xc3\xb6rld, long enough for the ASCII fast path", true, "two-byte forms"},
        {"\xe2\x82\xac", true, "euro sign (three bytes)"},
        {"\xf0\x9f\x98\x80", true, "emoji (four bytes)"},
        {"\xf4\x8f\xbf\xbf", true, "U+10FFFF"},
        {"\xed\x9f\xbf", true, "U+D7FF, just below the surrogates"},
        {"\xee\x80\x80", true, "U+E000, just above"},
        {"\xff\xfe", false, "bytes that never occur"},
        {"42\xff\xfe", false, "after ASCII"},
        {"\xed\xa0\x80", false, "a UTF-16 surrogate"},
        {"\xed\xbf\xbf", false, "the last surrogate"},
        {"\xc0\xaf", false, "overlong two-byte '/'"},
        {"\xc1\xbf", false, "overlong two-byte"},
        {"\xe0\x80\xaf", false, "overlong three-byte"},
        {"\xf0\x80\x80\xaf", false, "overlong four-byte"},
        {"\xf4\x90\x80\x80", false, "above U+10FFFF"},
        {"\xf5\x80\x80\x80", false, "lead byte 0xF5"},
        {"\x80", false, "a lone continuation byte"},
        {"\xe2\x82", false, "truncated at the end"},
        {"\xe2\x82(", false, "truncated by ASCII"},
        {"\xc3(", false, "two-byte with a bad second byte"},
        {"abcdefgh\xe2\x82\xac" "abcdefgh", true, "multibyte between ASCII words"},
    };
    for (const auto& r : rows) {
        INFO(r.what);
        CHECK(ws::valid_utf8(r.bytes) == r.valid);
    }
}
