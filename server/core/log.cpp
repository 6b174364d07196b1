#include "server/core/log.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <unistd.h>

namespace beastio::log {
namespace {
std::atomic<int> g_level{static_cast<int>(level::info)};
}

void set_level(level l) { g_level.store(static_cast<int>(l), std::memory_order_relaxed); }
level current_level() { return static_cast<level>(g_level.load(std::memory_order_relaxed)); }

std::optional<level> parse_level(std::string_view s) {
    if (s == "debug") return level::debug;
    if (s == "info") return level::info;
    if (s == "warn" || s == "warning") return level::warn;
    if (s == "error") return level::error;
    return std::nullopt;
}

std::string_view to_string(level l) {
    switch (l) {
        case level::debug: return "debug";
        case level::info: return "info";
        case level::warn: return "warn";
        case level::error: return "error";
    }
    return "info";
}

std::string utc_timestamp(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto secs = system_clock::to_time_t(t);
    const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

void write(level l, std::string_view raw) {
    using namespace std::chrono;
    // Peer-controlled text (paths, namespaces) can carry control characters:
    // escape them so one event stays one line.
    std::string message;
    message.reserve(raw.size());
    for (unsigned char c : raw) {
        if (c < 0x20 || c == 0x7f) message += fmt::format("\\x{:02x}", c);
        else message += static_cast<char>(c);
    }
    std::string line = fmt::format("{} {:<5} {}\n", utc_timestamp(system_clock::now()), to_string(l), message);
    // One write(2) per line: lines from different threads never interleave.
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        const ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n <= 0) break;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

bool throttle::allow(std::chrono::steady_clock::time_point now, std::uint64_t* suppressed) {
    const std::int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::int64_t next = next_ms_.load(std::memory_order_relaxed);
    if (now_ms < next || !next_ms_.compare_exchange_strong(next, now_ms + interval_ms_, std::memory_order_relaxed)) {
        suppressed_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    const std::uint64_t left_out = suppressed_.exchange(0, std::memory_order_relaxed);
    if (suppressed) *suppressed = left_out;
    return true;
}

}  // namespace beastio::log

namespace beastio::server {

std::string shown(std::string_view untrusted, std::size_t max) {
    std::string out;
    out.reserve(std::min(untrusted.size(), max) + 3);
    for (std::size_t i = 0; i < untrusted.size(); ++i) {
        const auto c = static_cast<unsigned char>(untrusted[i]);
        const bool plain = c >= 0x20 && c < 0x7f && c != '\\' && c != '"';
        if (out.size() + (plain ? 1 : 4) > max) {
            out += "...";
            break;
        }
        if (plain) out.push_back(static_cast<char>(c));
        else out += fmt::format("\\x{:02x}", c);
    }
    return out;
}

}  // namespace beastio::server
