#include "protocol/json_string.hpp"

#include <cstddef>

namespace beastio::json {
namespace {

// Walks s once and hands every piece of its escaped form to sink(data, size).
// write_string and escaped_size share it, so the size is exact by
// construction.
template <class Sink>
void escape(std::string_view s, Sink&& sink) {
    static constexpr char hex[] = "0123456789abcdef";
    static constexpr std::string_view replacement = "\xEF\xBF\xBD";
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        // A run of plain printable ASCII at once.
        std::size_t j = i;
        while (j < n && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' && p[j] != '\\') ++j;
        if (j > i) sink(s.data() + i, j - i);
        i = j;
        if (i >= n) break;

        const unsigned char c = p[i];
        if (c < 0x80) {
            switch (c) {
                case '"': sink("\\\"", 2); break;
                case '\\': sink("\\\\", 2); break;
                case '\b': sink("\\b", 2); break;
                case '\f': sink("\\f", 2); break;
                case '\n': sink("\\n", 2); break;
                case '\r': sink("\\r", 2); break;
                case '\t': sink("\\t", 2); break;
                default: {
                    const char seq[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
                    sink(seq, sizeof seq);
                    break;
                }
            }
            ++i;
            continue;
        }

        // Multi-byte UTF-8 sequence (RFC 3629 table 3-7 of Unicode).
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
        }
        if (len == 0) {  // continuation byte or invalid lead byte
            sink(replacement.data(), replacement.size());
            ++i;
            continue;
        }
        std::size_t k = 1;
        for (; k < len && i + k < n; ++k) {
            const unsigned char b = p[i + k];
            const bool ok = (k == 1) ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
            if (!ok) break;
        }
        if (k == len) {
            sink(s.data() + i, len);
        } else {
            sink(replacement.data(), replacement.size());  // truncated or broken sequence: one U+FFFD
        }
        i += k;
    }
}

}  // namespace

void write_string(std::string_view s, std::string& out) {
    out.reserve(out.size() + s.size() + 2);
    out.push_back('"');
    escape(s, [&out](const char* data, std::size_t size) { out.append(data, size); });
    out.push_back('"');
}

std::size_t escaped_size(std::string_view s) {
    std::size_t size = 2;
    escape(s, [&size](const char*, std::size_t piece) { size += piece; });
    return size;
}

}  // namespace beastio::json
