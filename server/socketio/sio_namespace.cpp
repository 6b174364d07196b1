#include "server/socketio/sio_namespace.hpp"

#include "server/socketio/sio_frames.hpp"

#include <algorithm>

namespace beastio::server {

std::size_t sio_namespace::broadcast_frame(const frame_ptr& frame) {
    const auto targets = this->targets({}, {});
    const out_frame f{frame, false};
    for (const auto& s : targets) {
        if (auto c = s->conn_.lock()) c->deliver(f);
    }
    return targets.size();
}

std::size_t sio_namespace::size() const {
    std::lock_guard lock(mu_);
    return sockets_.size();
}

std::vector<std::string> sio_namespace::room_names() const {
    std::vector<std::string> out;
    {
        std::lock_guard lock(mu_);
        out.reserve(rooms_.size());
        for (const auto& [room, members] : rooms_) out.push_back(room);
    }
    std::sort(out.begin(), out.end());
    return out;
}

socket_ptr sio_namespace::find(const std::string& sid) const {
    std::lock_guard lock(mu_);
    auto it = sockets_.find(sid);
    return it == sockets_.end() ? nullptr : it->second;
}

bool sio_namespace::add(const socket_ptr& s) {
    std::lock_guard lock(mu_);
    if (s->removed_) return false;  // it left (its connection closed) before it could join
    sockets_[s->id()] = s;
    return true;
}

void sio_namespace::remove(sio_socket& s) {
    std::lock_guard lock(mu_);
    s.removed_ = true;
    sockets_.erase(s.id());
    if (auto it = socket_rooms_.find(s.id()); it != socket_rooms_.end()) {
        for (const auto& room : it->second) {
            if (auto r = rooms_.find(room); r != rooms_.end()) {
                r->second.erase(s.id());
                if (r->second.empty()) rooms_.erase(r);
            }
        }
        socket_rooms_.erase(it);
    }
}

void sio_namespace::run_connection_handlers(const socket_ptr& s) {
    for (auto& h : connection_handlers_) {
        if (!s->connected()) break;
        try {
            h(s);
        } catch (const std::exception& e) {
            s->handler_failed("connection", e.what());
            break;
        } catch (...) {
            s->handler_failed("connection", "an exception that is not a std::exception");
            break;
        }
    }
}

std::vector<socket_ptr> sio_namespace::targets(const std::vector<std::string>& rooms,
                                             const std::vector<std::string>& except) const {
    std::vector<socket_ptr> out;
    std::lock_guard lock(mu_);
    auto excluded = [&](const std::string& sid) {
        for (const auto& r : except) {
            auto it = rooms_.find(r);
            if (it != rooms_.end() && it->second.count(sid)) return true;
        }
        return false;
    };
    if (rooms.empty()) {
        out.reserve(sockets_.size());
        for (const auto& [sid, s] : sockets_)
            if (except.empty() || !excluded(sid)) out.push_back(s);
        return out;
    }
    std::unordered_set<std::string> seen;
    for (const auto& r : rooms) {
        auto it = rooms_.find(r);
        if (it == rooms_.end()) continue;
        for (const auto& sid : it->second) {
            if (!seen.insert(sid).second || excluded(sid)) continue;
            if (auto s = sockets_.find(sid); s != sockets_.end()) out.push_back(s->second);
        }
    }
    return out;
}

}  // namespace beastio::server
