#include "server/websocket/connection_set.hpp"

namespace beastio::server {

std::size_t connection_set::add(const std::shared_ptr<connection>& c) {
    std::lock_guard lock(mu_);
    members_[c.get()] = c;
    return members_.size();
}

std::size_t connection_set::remove(const connection* c) {
    std::lock_guard lock(mu_);
    members_.erase(c);
    return members_.size();
}

bool connection_set::insert(const std::shared_ptr<connection>& c) {
    std::lock_guard lock(mu_);
    return members_.emplace(c.get(), c).second;
}

bool connection_set::erase(const connection* c) {
    std::lock_guard lock(mu_);
    return members_.erase(c) > 0;
}

std::size_t connection_set::size() const {
    std::lock_guard lock(mu_);
    return members_.size();
}

std::vector<std::shared_ptr<connection>> connection_set::snapshot() const {
    std::vector<std::shared_ptr<connection>> out;
    std::lock_guard lock(mu_);
    out.reserve(members_.size());
    for (const auto& [ptr, weak] : members_)
        if (auto c = weak.lock()) out.push_back(std::move(c));
    return out;
}

std::size_t connection_set::broadcast(const out_frame& f) const {
    const auto live = snapshot();
    for (const auto& c : live) c->deliver(f);
    return live.size();
}

void connection_set::close_all(close_cause cause) const {
    for (const auto& c : snapshot()) c->close(cause);
}

}  // namespace beastio::server
