#include "protocol/cluster/wire.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <system_error>

namespace beastio::cluster_wire {
namespace {

constexpr double two64 = 18446744073709551616.0;
constexpr double two63 = 9223372036854775808.0;

msgpack::value number_to_msgpack(const std::string& text) {
    // JSON.parse makes every number a double; notepack writes an integral one
    // as the smallest integer form and anything else as float64.
    double d = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec == std::errc::result_out_of_range) d = std::strtod(text.c_str(), nullptr);  // +-inf or a denormal
    else if (ec != std::errc{} || p != text.data() + text.size()) return msgpack::value(0.0);
    if (!std::isfinite(d) || std::floor(d) != d) return msgpack::value(d);
    if (d >= 0) {
        if (d < two64) return msgpack::value(static_cast<std::uint64_t>(d));
        return msgpack::value(d);
    }
    if (d >= -two63) return msgpack::value(static_cast<std::int64_t>(d));
    return msgpack::value(d);
}

// notepack gives a non-string key as whatever JavaScript makes of it as a
// property name (String(key)): numbers as printed, an array as its elements
// joined by commas, any object as "[object Object]". Linear in the key's size:
// never a serialisation of a serialisation (nested keys made that exponential).
void append_key_text(const msgpack::value& k, std::string& out) {
    std::visit(
        [&out](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::string>) out += x;
            else if constexpr (std::is_same_v<T, msgpack::nil>) out += "null";
            else if constexpr (std::is_same_v<T, bool>) out += x ? "true" : "false";
            else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::uint64_t>) out += std::to_string(x);
            else if constexpr (std::is_same_v<T, double>) out += std::isfinite(x) ? js_number(x) : (std::isnan(x) ? "NaN" : (x > 0 ? "Infinity" : "-Infinity"));
            else if constexpr (std::is_same_v<T, msgpack::bin>) out += x.bytes;  // a Buffer: its bytes as text
            else if constexpr (std::is_same_v<T, msgpack::array>) {
                for (std::size_t i = 0; i < x.size(); ++i) {
                    if (i) out.push_back(',');
                    if (!x[i].is_nil()) append_key_text(x[i], out);  // String([null]) is ""
                }
            } else {
                out += "[object Object]";  // a map, or an ext (a Date is one, close enough for a key)
            }
        },
        k.v);
}

std::string key_text(const msgpack::value& k) {
    if (k.is_string()) return k.as_string();
    std::string out;
    append_key_text(k, out);
    return out;
}

const msgpack::value* field(const msgpack::value& m, std::string_view key) { return m.find(key); }

bool string_list(const msgpack::value* v, std::vector<std::string>& out) {
    out.clear();
    if (!v || v->is_nil()) return true;
    if (!v->is_array()) return false;
    for (const auto& item : v->as_array()) {
        if (item.is_string()) out.push_back(item.as_string());
        else {
            // Rooms may be numbers on the JS side (socket.join(42)).
            const json::value j = to_json(item);
            if (!j.is_number()) return false;
            out.push_back(j.as_number().text);
        }
    }
    return true;
}

msgpack::value strings(const std::vector<std::string>& v) {
    msgpack::array a;
    a.reserve(v.size());
    for (const auto& s : v) a.emplace_back(s);
    return msgpack::value(std::move(a));
}

bool truthy(const msgpack::value* v) {
    if (!v) return false;
    if (const auto* b = std::get_if<bool>(&v->v)) return *b;
    return false;
}

}  // namespace

std::string js_number(double d) {
    if (!std::isfinite(d)) return "null";
    if (d == 0) return "0";
    std::string out;
    if (d < 0) {
        out.push_back('-');
        d = -d;
    }
    // The shortest digits that read back as d, and the exponent (d.ddde±x).
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    const std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
    const auto e_pos = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e_pos))
        if (c != '.') digits.push_back(c);
    int exp10 = 0;
    const auto exp_text = sci.substr(e_pos + 1);
    std::from_chars(exp_text.data() + (exp_text.front() == '+' ? 1 : 0), exp_text.data() + exp_text.size(), exp10);
    const int k = static_cast<int>(digits.size());
    const int n = exp10 + 1;  // ECMAScript's n: the decimal point sits after n digits
    if (k <= n && n <= 21) {
        out += digits;
        out.append(static_cast<std::size_t>(n - k), '0');
    } else if (0 < n && n <= 21) {
        out += digits.substr(0, static_cast<std::size_t>(n));
        out.push_back('.');
        out += digits.substr(static_cast<std::size_t>(n));
    } else if (-6 < n && n <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-n), '0');
        out += digits;
    } else {
        out.push_back(digits[0]);
        if (k > 1) {
            out.push_back('.');
            out += digits.substr(1);
        }
        out += fmt::format("e{}{}", n - 1 >= 0 ? "+" : "-", std::abs(n - 1));
    }
    return out;
}

msgpack::value to_msgpack(const json::value& v) {
    return std::visit(
        [](const auto& x) -> msgpack::value {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) return msgpack::nil{};
            else if constexpr (std::is_same_v<T, bool>) return msgpack::value(x);
            else if constexpr (std::is_same_v<T, json::number>) return number_to_msgpack(x.text);
            else if constexpr (std::is_same_v<T, std::string>) return msgpack::value(x);
            else if constexpr (std::is_same_v<T, json::array>) {
                msgpack::array a;
                a.reserve(x.size());
                for (const auto& e : x) a.push_back(to_msgpack(e));
                return msgpack::value(std::move(a));
            } else if constexpr (std::is_same_v<T, json::object>) {
                msgpack::map m;
                m.reserve(x.size());
                for (const auto& [k, e] : x) m.emplace_back(msgpack::value(k), to_msgpack(e));
                return msgpack::value(std::move(m));
            } else {
                return msgpack::value(msgpack::bin{x.bytes()});
            }
        },
        v.v);
}

json::value to_json(const msgpack::value& v) {
    return std::visit(
        [](const auto& x) -> json::value {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, msgpack::nil>) return nullptr;
            else if constexpr (std::is_same_v<T, bool>) return x;
            else if constexpr (std::is_same_v<T, std::int64_t>) return json::number{std::to_string(x)};
            else if constexpr (std::is_same_v<T, std::uint64_t>) return json::number{std::to_string(x)};
            else if constexpr (std::is_same_v<T, double>) {
                if (!std::isfinite(x)) return nullptr;
                return json::number{js_number(x)};
            } else if constexpr (std::is_same_v<T, std::string>) return x;
            else if constexpr (std::is_same_v<T, msgpack::bin>) return json::binary(x.bytes);
            else if constexpr (std::is_same_v<T, msgpack::array>) {
                json::array a;
                a.reserve(x.size());
                for (const auto& e : x) a.push_back(to_json(e));
                return a;
            } else if constexpr (std::is_same_v<T, msgpack::map>) {
                json::object o;
                o.reserve(x.size());
                for (const auto& [k, e] : x) {
                    if (k.is_nil()) continue;  // notepack drops undefined keys
                    o.emplace_back(key_text(k), to_json(e));
                }
                return o;
            } else {
                return nullptr;  // ext: a Date or a custom type has no JSON form here
            }
        },
        v.v);
}

std::string encode_broadcast(const broadcast_message& m) {
    msgpack::map packet;
    packet.emplace_back("type", msgpack::value(m.type));
    packet.emplace_back("data", to_msgpack(m.data));
    packet.emplace_back("nsp", msgpack::value(m.nsp));
    msgpack::map flags;
    if (m.flags.is_volatile) flags.emplace_back("volatile", msgpack::value(true));
    msgpack::map opts;
    opts.emplace_back("rooms", strings(m.rooms));
    opts.emplace_back("except", strings(m.except));
    opts.emplace_back("flags", msgpack::value(std::move(flags)));
    msgpack::array all;
    all.emplace_back(m.uid);
    all.emplace_back(std::move(packet));
    all.emplace_back(std::move(opts));
    return msgpack::encode(msgpack::value(std::move(all)));
}

result<broadcast_message, errc> decode_broadcast(std::string_view bytes) {
    using R = result<broadcast_message, errc>;
    auto fail = [](std::string why) { return R(make_error(errc::malformed, std::move(why))); };
    auto decoded = msgpack::decode(bytes);
    if (!decoded) return fail("not msgpack: " + decoded.error().message);
    const msgpack::value& top = *decoded;
    if (!top.is_array() || top.as_array().size() < 3) return fail("not [uid, packet, opts]");
    const auto& a = top.as_array();
    broadcast_message m;
    if (a[0].is_string()) m.uid = a[0].as_string();
    if (!a[1].is_map()) return fail("the packet is not a map");
    const msgpack::value& packet = a[1];
    if (const auto* t = field(packet, "type")) {
        const json::value j = to_json(*t);
        if (!j.is_number() || (j.as_number().text != "2" && j.as_number().text != "5"))
            return fail("the packet is not an EVENT");
        m.type = 2;
    }
    if (const auto* nsp = field(packet, "nsp"); nsp && nsp->is_string()) m.nsp = nsp->as_string();
    const auto* data = field(packet, "data");
    if (!data || !data->is_array() || data->as_array().empty() || !data->as_array()[0].is_string())
        return fail("the packet's data is not [event, ...]");
    m.data = to_json(*data);
    if (!a[2].is_map() && !a[2].is_nil()) return fail("the options are not a map");
    if (!string_list(field(a[2], "rooms"), m.rooms)) return fail("rooms is not a list of names");
    if (!string_list(field(a[2], "except"), m.except)) return fail("except is not a list of names");
    if (const auto* flags = field(a[2], "flags"); flags && flags->is_map()) {
        m.flags.is_volatile = truthy(field(*flags, "volatile"));
        m.flags.local = truthy(field(*flags, "local"));
    }
    return m;
}

std::string broadcast_channel(std::string_view key, std::string_view nsp) { return fmt::format("{}#{}#", key, nsp); }

std::string room_channel(std::string_view key, std::string_view nsp, std::string_view room) {
    return fmt::format("{}#{}#{}#", key, nsp, room);
}

}  // namespace beastio::cluster_wire
