#include "server/core/ids.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <sys/random.h>

namespace beastio::server {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Random bytes are drawn from the kernel in blocks and handed out per thread.
struct pool {
    std::array<std::uint8_t, 1024> bytes{};
    std::size_t used = bytes.size();

    void take(std::uint8_t* out, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            if (used == bytes.size()) refill();
            out[i] = bytes[used++];
        }
    }

    void refill() {
        std::size_t got = 0;
        while (got < bytes.size()) {
            const ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw std::runtime_error("getrandom failed");
            }
            got += static_cast<std::size_t>(n);
        }
        used = 0;
    }
};

}  // namespace

std::string random_id() {
    thread_local pool p;
    std::array<std::uint8_t, 15> raw{};
    p.take(raw.data(), raw.size());
    std::string id;
    id.resize(20);
    for (std::size_t i = 0, o = 0; i < raw.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{raw[i]} << 16) | (std::uint32_t{raw[i + 1]} << 8) | raw[i + 2];
        id[o++] = alphabet[(v >> 18) & 63];
        id[o++] = alphabet[(v >> 12) & 63];
        id[o++] = alphabet[(v >> 6) & 63];
        id[o++] = alphabet[v & 63];
    }
    return id;
}

}  // namespace beastio::server
