// One line per event on stderr: "2026-11-22T03:58:15.123Z info  message".
// Thread-safe; each line is written with a single write so lines never mix.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace beastio::log {

enum class level { debug = 0, info = 1, warn = 2, error = 3 };

void set_level(level l);
level current_level();
std::optional<level> parse_level(std::string_view s);
std::string_view to_string(level l);

void write(level l, std::string_view message);

// A time as the log lines write it, UTC to the millisecond: "2026-11-22T03:58:15.123Z".
std::string utc_timestamp(std::chrono::system_clock::time_point t);

template <class... Args>
void emit(level l, fmt::format_string<Args...> f, Args&&... args) {
    if (l < current_level()) return;
    write(l, fmt::format(f, std::forward<Args>(args)...));
}

template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) { emit(level::debug, f, std::forward<Args>(args)...); }
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) { emit(level::info, f, std::forward<Args>(args)...); }
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) { emit(level::warn, f, std::forward<Args>(args)...); }
template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) { emit(level::error, f, std::forward<Args>(args)...); }

// Bounds how often one recurring event is logged (a flood of refusals must not
// become a flood of log lines): at most one line per interval, and that line
// says how many were left out since the previous one. Thread-safe.
class throttle {
public:
    explicit throttle(std::chrono::milliseconds interval) : interval_ms_(interval.count()) {}

    // True when a line may be written now; *suppressed is set to how many
    // events were not logged since the last line.
    bool allow(std::chrono::steady_clock::time_point now, std::uint64_t* suppressed);

private:
    const std::int64_t interval_ms_;
    std::atomic<std::int64_t> next_ms_{0};
    std::atomic<std::uint64_t> suppressed_{0};
};

}  // namespace beastio::log

namespace beastio::server {

// Request text for a response body or a log line: printable ASCII kept,
// every other byte (and the backslash and double quote, so a log field cannot
// be forged) as \xNN; longer than `max` bytes, it
// is cut before the piece that would pass `max` and "..." is appended.
std::string shown(std::string_view untrusted, std::size_t max = 200);

}  // namespace beastio::server
