#include "server/socketio/sio_adapter.hpp"

#include "server/socketio/sio_socket.hpp"

#include <algorithm>

namespace beastio::server {

void sio_adapter::unicast(sio_socket& s, const broadcast_packet& packet, bool is_volatile) {
    s.deliver(packet, is_volatile);
}

void sio_adapter::add_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) {
    for (const auto& s : sockets(opts))
        for (const auto& r : rooms) s->join(r);
}

void sio_adapter::del_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) {
    for (const auto& s : sockets(opts))
        for (const auto& r : rooms) s->leave(r);
}

void sio_adapter::disconnect_sockets(const broadcast_options& opts, bool close) {
    for (const auto& s : sockets(opts)) s->disconnect(close);
}

// ---- sio_memory_adapter ----

void sio_memory_adapter::add_socket(const socket_ptr& s) {
    std::lock_guard lock(mu_);
    sockets_[s->id()] = s;
}

void sio_memory_adapter::remove_socket(const std::string& sid) {
    std::lock_guard lock(mu_);
    sockets_.erase(sid);
    auto it = socket_rooms_.find(sid);
    if (it == socket_rooms_.end()) return;
    for (const auto& room : it->second) {
        if (auto r = rooms_.find(room); r != rooms_.end()) {
            r->second.erase(sid);
            if (r->second.empty()) rooms_.erase(r);
        }
    }
    socket_rooms_.erase(it);
}

sio_adapter::join_result sio_memory_adapter::join(const std::string& sid, const std::string& room,
                                                  std::size_t max_rooms) {
    if (room == sid) return join_result::already_member;  // the implicit room
    std::lock_guard lock(mu_);
    auto& mine = socket_rooms_[sid];
    if (mine.count(room)) return join_result::already_member;
    if (mine.size() >= max_rooms) {
        if (mine.empty()) socket_rooms_.erase(sid);
        return join_result::too_many_rooms;
    }
    mine.insert(room);
    rooms_[room].insert(sid);
    return join_result::joined;
}

void sio_memory_adapter::leave(const std::string& sid, const std::string& room) {
    std::lock_guard lock(mu_);
    if (auto it = rooms_.find(room); it != rooms_.end()) {
        it->second.erase(sid);
        if (it->second.empty()) rooms_.erase(it);
    }
    if (auto it = socket_rooms_.find(sid); it != socket_rooms_.end()) {
        it->second.erase(room);
        if (it->second.empty()) socket_rooms_.erase(it);
    }
}

std::vector<std::string> sio_memory_adapter::socket_rooms(const std::string& sid) const {
    std::vector<std::string> out;
    {
        std::lock_guard lock(mu_);
        if (auto it = socket_rooms_.find(sid); it != socket_rooms_.end()) out.assign(it->second.begin(), it->second.end());
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool sio_memory_adapter::in_room(const std::string& sid, const std::string& room) const {
    if (room == sid) return true;
    auto it = rooms_.find(room);
    return it != rooms_.end() && it->second.count(sid) > 0;
}

bool sio_memory_adapter::excluded(const std::string& sid, const std::vector<std::string>& except) const {
    for (const auto& r : except)
        if (in_room(sid, r)) return true;
    return false;
}

std::vector<socket_ptr> sio_memory_adapter::sockets(const broadcast_options& opts) const {
    std::vector<socket_ptr> out;
    std::lock_guard lock(mu_);
    if (opts.rooms.empty()) {
        out.reserve(sockets_.size());
        for (const auto& [sid, s] : sockets_)
            if (opts.except.empty() || !excluded(sid, opts.except)) out.push_back(s);
        return out;
    }
    std::unordered_set<std::string_view> seen;
    auto consider = [&](const std::string& sid) {
        if (!seen.insert(sid).second || excluded(sid, opts.except)) return;
        if (auto s = sockets_.find(sid); s != sockets_.end()) out.push_back(s->second);
    };
    for (const auto& r : opts.rooms) {
        if (auto it = rooms_.find(r); it != rooms_.end())
            for (const auto& sid : it->second) consider(sid);
        if (sockets_.count(r)) consider(r);  // the socket's own room
    }
    return out;
}

std::size_t sio_memory_adapter::broadcast(const broadcast_packet& packet, const broadcast_options& opts) {
    // Selected under the lock, delivered outside it: a fan-out never blocks joins.
    const auto targets = sockets(opts);
    for (const auto& s : targets) s->deliver(packet, opts.is_volatile);
    return targets.size();
}

std::size_t sio_memory_adapter::size() const {
    std::lock_guard lock(mu_);
    return sockets_.size();
}

socket_ptr sio_memory_adapter::find(const std::string& sid) const {
    std::lock_guard lock(mu_);
    auto it = sockets_.find(sid);
    return it == sockets_.end() ? nullptr : it->second;
}

std::vector<std::string> sio_memory_adapter::rooms() const {
    std::vector<std::string> out;
    {
        std::lock_guard lock(mu_);
        out.reserve(rooms_.size());
        for (const auto& [room, members] : rooms_) out.push_back(room);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace beastio::server
