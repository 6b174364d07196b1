// WebSocket frame headers and UTF-8 on arbitrary bytes.
// Properties: never crashes; a header that parses is re-encoded to the same
// bytes (the encoding is minimal and every header field is kept); masking
// twice gives the bytes back; UTF-8 validity agrees with a decoder that
// checks each code point's value.
#include "fuzz_check.hpp"
#include "protocol/websocket/frame.hpp"

#include <cstring>
#include <string>

using namespace beastio;

namespace {

// A second opinion: decode each sequence to its code point and check its range.
bool reference_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > s.size()) return false;
        std::uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t k = 1; k < len; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);

    const auto p = ws::parse_header(bytes);
    if (p.status == ws::parse_status::complete) {
        FUZZ_CHECK(p.h.size >= 2 && p.h.size <= ws::max_header_size && p.h.size <= size);
        char again[ws::max_header_size];
        const auto n = ws::write_header(again, p.h.op, p.h.payload_size, p.h.fin, p.h.masked ? &p.h.mask : nullptr);
        FUZZ_CHECK(n == p.h.size && std::memcmp(again, data, n) == 0);
        FUZZ_CHECK(!ws::is_control(p.h.op) || (p.h.fin && p.h.payload_size <= 125));
    } else if (p.status == ws::parse_status::invalid) {
        FUZZ_CHECK(!p.reason.empty());
    } else {
        FUZZ_CHECK(size < ws::max_header_size);
    }

    if (size >= 4) {
        const ws::mask_key key{data[0], data[1], data[2], data[3]};
        std::string s(bytes.substr(4));
        ws::apply_mask(s.data(), s.size(), key, size);
        ws::apply_mask(s.data(), s.size(), key, size);
        FUZZ_CHECK(s == bytes.substr(4));
    }

    FUZZ_CHECK(ws::valid_utf8(bytes) == reference_utf8(bytes));
    return 0;
}
