// A token bucket for incoming messages: a client may send `per_second`
// messages per second on average and as many at once (the bucket holds one
// second's worth). Pure: the caller passes the time, so tests need no clock.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace beastio::server {

class message_rate_limiter {
public:
    using clock = std::chrono::steady_clock;

    // per_second == 0: no limit.
    message_rate_limiter(std::uint64_t per_second, clock::time_point now)
        : per_second_(per_second), tokens_(static_cast<double>(per_second)), last_(now) {}

    // One message arrives at `now`; false when it is over the limit.
    bool allow(clock::time_point now) {
        if (per_second_ == 0) return true;
        if (now > last_) {
            const double elapsed = std::chrono::duration<double>(now - last_).count();
            tokens_ = std::min(static_cast<double>(per_second_), tokens_ + elapsed * static_cast<double>(per_second_));
            last_ = now;
        }
        if (tokens_ < 1.0) return false;
        tokens_ -= 1.0;
        return true;
    }

    std::uint64_t per_second() const { return per_second_; }

private:
    std::uint64_t per_second_;
    double tokens_;
    clock::time_point last_;
};

}  // namespace beastio::server
