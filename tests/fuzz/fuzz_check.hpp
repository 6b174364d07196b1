// What every fuzz target shares: a check that aborts (so libFuzzer records the
// input as a crash) with a readable reason, and a reader that splits the
// fuzzer's bytes into length-prefixed pieces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            std::fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            std::abort();                                                                      \
        }                                                                                      \
    } while (0)

namespace beastio::fuzz {

// Pieces of the input: each is one control byte, a 16-bit little-endian
// length, then that many bytes (cut short at the end of the input).
class pieces {
public:
    pieces(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}

    bool next(std::uint8_t& control, std::string_view& bytes) {
        if (end_ - p_ < 3) return false;
        control = p_[0];
        std::size_t len = static_cast<std::size_t>(p_[1]) | (static_cast<std::size_t>(p_[2]) << 8);
        p_ += 3;
        if (len > static_cast<std::size_t>(end_ - p_)) len = static_cast<std::size_t>(end_ - p_);
        bytes = std::string_view(reinterpret_cast<const char*>(p_), len);
        p_ += len;
        return true;
    }

private:
    const std::uint8_t* p_;
    const std::uint8_t* end_;
};

}  // namespace beastio::fuzz
