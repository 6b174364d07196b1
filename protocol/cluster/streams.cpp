#include "protocol/cluster/streams.hpp"

#include "protocol/cluster/wire.hpp"
#include "protocol/engineio/packet.hpp"
#include "protocol/msgpack/msgpack.hpp"

#include <algorithm>
#include <charconv>

namespace beastio::cluster_wire {
namespace {

using R = result<cluster_message, streams_errc>;

R fail(std::string why) { return R(make_error(streams_errc::malformed, std::move(why))); }

const json::value* member(const json::value& v, std::string_view key) {
    if (!v.is_object()) return nullptr;
    const json::value* found = nullptr;
    for (const auto& [k, e] : v.as_object())
        if (k == key) found = &e;  // the last of duplicates, as JavaScript reads them
    return found;
}

bool truthy(const json::value* v) {
    if (!v || v->is_null()) return false;
    if (v->is_bool()) return v->as_bool();
    if (v->is_string()) return !v->as_string().empty();
    if (v->is_number()) return v->as_number().text != "0";
    return true;
}

std::optional<long long> integer(const json::value* v) {
    if (!v) return std::nullopt;
    std::string_view t;
    if (v->is_number()) t = v->as_number().text;
    else if (v->is_string()) t = v->as_string();
    else return std::nullopt;
    long long n = 0;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec != std::errc{} || p != t.data() + t.size()) return std::nullopt;
    return n;
}

json::value strings_json(const std::vector<std::string>& v) {
    json::array a;
    a.reserve(v.size());
    for (const auto& s : v) a.emplace_back(s);
    return json::value(std::move(a));
}

// A message's members as a tree, in @msgpack/msgpack's order of the Node object.
json::value message_json(const cluster_message& m) {
    json::object o;
    o.emplace_back("uid", json::value(m.uid));
    o.emplace_back("nsp", json::value(m.nsp));
    o.emplace_back("type", json::value(static_cast<long long>(m.type)));
    if (!m.data.is_null()) o.emplace_back("data", m.data);
    return json::value(std::move(o));
}

R message_of(const json::value& v) {
    if (!v.is_object()) return fail("not a map");
    cluster_message m;
    const auto* uid = member(v, "uid");
    const auto* nsp = member(v, "nsp");
    const auto type = integer(member(v, "type"));
    if (!uid || !uid->is_string()) return fail("no uid");
    if (!nsp || !nsp->is_string()) return fail("no nsp");
    if (!type) return fail("no type");
    m.uid = uid->as_string();
    m.nsp = nsp->as_string();
    m.type = static_cast<int>(*type);
    if (const auto* d = member(v, "data")) m.data = *d;
    return m;
}

}  // namespace

entry_fields encode_entry(const cluster_message& m) {
    entry_fields f;
    f.emplace_back("uid", m.uid);
    f.emplace_back("nsp", m.nsp);
    f.emplace_back("type", std::to_string(m.type));
    if (!m.data.is_null()) {
        // JSON unless it holds binary, which JSON cannot carry: then base64 of msgpack.
        if (m.data.has_binary()) f.emplace_back("data", eio::base64_encode(msgpack::encode(to_msgpack(m.data))));
        else f.emplace_back("data", json::serialize(m.data));
    }
    return f;
}

R decode_entry(const entry_fields& fields) {
    cluster_message m;
    bool has_uid = false, has_nsp = false, has_type = false;
    const std::string* data = nullptr;
    for (const auto& [k, v] : fields) {
        if (k == "uid") m.uid = v, has_uid = true;
        else if (k == "nsp") m.nsp = v, has_nsp = true;
        else if (k == "type") {
            int t = 0;
            const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), t);
            if (ec != std::errc{} || p != v.data() + v.size()) return fail("the type is not a number");
            m.type = t;
            has_type = true;
        } else if (k == "data") data = &v;
    }
    if (!has_uid || !has_nsp || !has_type) return fail("an entry without uid, nsp and type");
    if (data && !data->empty()) {
        if (data->front() == '{') {
            auto parsed = json::parse(*data);
            if (!parsed) return fail("data is not JSON: " + parsed.error().message);
            m.data = std::move(*parsed);
        } else {
            auto bytes = eio::base64_decode(*data);
            if (!bytes) return fail("data is neither JSON nor base64");
            auto decoded = msgpack::decode(*bytes);
            if (!decoded) return fail("data is not msgpack: " + decoded.error().message);
            m.data = to_json(*decoded);
        }
        if (!m.data.is_object()) return fail("data is not an object");
    }
    return m;
}

std::string encode_pubsub(const cluster_message& m) { return msgpack::encode(to_msgpack(message_json(m))); }

R decode_pubsub(std::string_view bytes) {
    auto decoded = msgpack::decode(bytes);
    if (!decoded) return fail("not msgpack: " + decoded.error().message);
    return message_of(to_json(*decoded));
}

std::string stream_id::str() const { return std::to_string(ms) + "-" + std::to_string(seq); }

std::optional<stream_id> parse_stream_id(std::string_view text) {
    const auto dash = text.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == text.size()) return std::nullopt;
    stream_id id;
    const auto a = text.substr(0, dash), b = text.substr(dash + 1);
    const auto r1 = std::from_chars(a.data(), a.data() + a.size(), id.ms);
    const auto r2 = std::from_chars(b.data(), b.data() + b.size(), id.seq);
    if (r1.ec != std::errc{} || r1.ptr != a.data() + a.size()) return std::nullopt;
    if (r2.ec != std::errc{} || r2.ptr != b.data() + b.size()) return std::nullopt;
    if (a.front() == '+' || b.front() == '+') return std::nullopt;
    return id;
}

json::value selection_data(const std::vector<std::string>& rooms, const std::vector<std::string>& except) {
    return json::object{{"rooms", strings_json(rooms)}, {"except", strings_json(except)}, {"flags", json::object{}}};
}

std::vector<std::string> names(const json::value* list) {
    std::vector<std::string> out;
    if (!list || !list->is_array()) return out;
    for (const auto& e : list->as_array()) {
        if (e.is_string()) out.push_back(e.as_string());
        else if (e.is_number()) out.push_back(e.as_number().text);
    }
    return out;
}

json::value make_broadcast_data(const broadcast_body& b, std::string_view nsp) {
    json::object flags;
    if (b.is_volatile) flags.emplace_back("volatile", json::value(true));
    if (b.timeout) flags.emplace_back("timeout", json::value(*b.timeout));
    json::object packet{{"type", json::value(2LL)}, {"data", b.data}, {"nsp", json::value(std::string(nsp))}};
    json::object opts{{"rooms", strings_json(b.rooms)}, {"except", strings_json(b.except)},
                      {"flags", json::value(std::move(flags))}};
    json::object o{{"packet", json::value(std::move(packet))}, {"opts", json::value(std::move(opts))}};
    if (b.request_id) o.emplace_back("requestId", json::value(*b.request_id));
    return json::value(std::move(o));
}

result<broadcast_body, streams_errc> read_broadcast_data(const json::value& data) {
    using B = result<broadcast_body, streams_errc>;
    auto bad = [](std::string why) { return B(make_error(streams_errc::malformed, std::move(why))); };
    const auto* packet = member(data, "packet");
    if (!packet || !packet->is_object()) return bad("no packet");
    if (const auto t = integer(member(*packet, "type")); t && *t != 2 && *t != 5) return bad("the packet is not an EVENT");
    const auto* d = member(*packet, "data");
    if (!d || !d->is_array() || d->as_array().empty() || !d->as_array().front().is_string())
        return bad("the packet's data is not [event, ...]");
    broadcast_body b;
    b.data = *d;
    if (const auto* id = member(*packet, "id"); id && !id->is_null()) b.has_ack_id = true;
    if (const auto* opts = member(data, "opts")) {
        b.rooms = names(member(*opts, "rooms"));
        b.except = names(member(*opts, "except"));
        if (const auto* flags = member(*opts, "flags")) {
            b.is_volatile = truthy(member(*flags, "volatile"));
            b.timeout = integer(member(*flags, "timeout"));
        }
    }
    if (const auto* rid = member(data, "requestId"); rid && !rid->is_null()) {
        if (rid->is_string()) b.request_id = rid->as_string();
        else if (rid->is_number()) b.request_id = rid->as_number().text;
    }
    return b;
}

std::string encode_session(const session_record& s) {
    json::object o{{"sid", json::value(s.sid)},
                   {"pid", json::value(s.pid)},
                   {"rooms", strings_json(s.rooms)},
                   {"data", s.data}};
    if (s.offset) o.emplace_back("offset", json::value(*s.offset));
    return eio::base64_encode(msgpack::encode(to_msgpack(json::value(std::move(o)))));
}

result<session_record, streams_errc> decode_session(std::string_view text) {
    using S = result<session_record, streams_errc>;
    auto bad = [](std::string why) { return S(make_error(streams_errc::malformed, std::move(why))); };
    auto bytes = eio::base64_decode(text);
    if (!bytes) return bad("not base64");
    auto decoded = msgpack::decode(*bytes);
    if (!decoded) return bad("not msgpack: " + decoded.error().message);
    const json::value v = to_json(*decoded);
    const auto* sid = member(v, "sid");
    const auto* pid = member(v, "pid");
    if (!sid || !sid->is_string() || sid->as_string().empty()) return bad("no sid");
    if (!pid || !pid->is_string()) return bad("no pid");
    session_record s;
    s.sid = sid->as_string();
    s.pid = pid->as_string();
    s.rooms = names(member(v, "rooms"));
    if (const auto* d = member(v, "data")) s.data = *d;
    if (const auto* off = member(v, "offset"); off && off->is_string() && parse_stream_id(off->as_string()))
        s.offset = off->as_string();
    return s;
}

bool replay_includes(const std::vector<std::string>& session_rooms, const std::vector<std::string>& rooms,
                     const std::vector<std::string>& except) {
    const auto in = [&](const std::string& r) {
        return std::find(session_rooms.begin(), session_rooms.end(), r) != session_rooms.end();
    };
    const bool included = rooms.empty() || std::any_of(rooms.begin(), rooms.end(), in);
    return included && std::none_of(except.begin(), except.end(), in);
}

}  // namespace beastio::cluster_wire
