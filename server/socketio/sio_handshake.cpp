#include "server/socketio/sio_handshake.hpp"

#include <array>
#include <cctype>
#include <ctime>
#include <fmt/format.h>

namespace beastio::server {

std::optional<std::string_view> sio_handshake::header(std::string_view name) const {
    auto same = [](std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
                return false;
        return true;
    };
    for (const auto& [k, v] : headers)
        if (same(k, name)) return v;
    return std::nullopt;
}

std::string sio_handshake::time() const {
    static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::time_t t = static_cast<std::time_t>(issued_ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", days.at(tm.tm_wday), tm.tm_mday, months.at(tm.tm_mon),
                       tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

json::value sio_handshake::to_json(const json::value& auth) const {
    json::object h;
    for (const auto& [k, v] : headers) h.emplace_back(k, json::value(v));
    json::object q;
    for (const auto& [k, v] : query.params()) q.emplace_back(k, json::value(v));
    return json::value(json::object{{"headers", json::value(std::move(h))},
                                    {"query", json::value(std::move(q))},
                                    {"url", json::value(url)},
                                    {"address", json::value(address)},
                                    {"secure", json::value(secure)},
                                    {"issued", json::value(static_cast<long long>(issued_ms))},
                                    {"time", json::value(time())},
                                    {"auth", auth}});
}

}  // namespace beastio::server
