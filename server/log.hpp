// One line per event on stderr: "2026-11-22T03:58:15.123Z info  message".
// Thread-safe; each line is written with a single write so lines never mix.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string_view>

namespace beastio::log {

enum class level { debug = 0, info = 1, warn = 2, error = 3 };

void set_level(level l);
level current_level();
std::optional<level> parse_level(std::string_view s);
std::string_view to_string(level l);

void write(level l, std::string_view message);

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

}  // namespace beastio::log
