#include "server/websocket/plain_endpoint.hpp"

#include "protocol/engineio/handshake.hpp"
#include "server/core/log.hpp"

#include <algorithm>
#include <charconv>

namespace beastio::server {

void plain_hub::join(const std::shared_ptr<connection>& c) {
    if (set_.insert(c) && presence_) presence_(+1);
}

void plain_hub::leave(const connection* c) {
    if (set_.erase(c) && presence_) presence_(-1);
}

resumable_hub::resumable_hub(recovery_options options) : options_(std::move(options)) {}

std::size_t resumable_hub::kept() const {
    std::lock_guard lock(mu_);
    return entries_.size();
}

void resumable_hub::trim(std::chrono::steady_clock::time_point t) {
    const auto& b = options_.log;
    while (!entries_.empty() && (entries_.size() > b.max_packets || bytes_ > b.max_bytes ||
                                 t - entries_.front().at > b.window)) {
        bytes_ -= entries_.front().frame->size();
        entries_.pop_front();
    }
}

resumable_hub::publish_result resumable_hub::publish(std::int64_t number, const frame_ptr& f) {
    std::lock_guard lock(mu_);
    bool stored = false;
    if (options_.log.window.count() > 0) {
        const auto t = options_.now();
        entries_.push_back({number, t, f});
        bytes_ += f->size();
        trim(t);
        stored = true;
    }
    return {set_.broadcast(out_frame{f, false}), stored};
}

namespace {

// ?after=N: nullopt when absent; an error message when malformed.
struct after_param {
    std::optional<std::int64_t> value;
    std::string error;
};

after_param read_after(std::string_view target) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) return {};
    auto raw = target.substr(q + 1);
    if (auto hash = raw.find('#'); hash != std::string_view::npos) raw = raw.substr(0, hash);
    const auto query = eio::parse_query(raw);
    if (!query.has("after")) return {};
    const auto v = query.single("after");
    if (!v) return {std::nullopt, "after given more than once"};
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (v->empty() || ec != std::errc() || end != v->data() + v->size() || n < 0 || (*v)[0] == '+')
        return {std::nullopt, fmt::format("after must be a non-negative integer, not '{}'", shown(*v, 40))};
    return {n, {}};
}

}  // namespace

void resumable_hub::on_open(const std::shared_ptr<connection>& c, const plain_request& r) {
    const auto after = read_after(r.target);
    if (!after.error.empty()) {
        log::info("plain stream from {} refused: {}", r.peer, after.error);
        c->close(close_cause::invalid_request);
        return;
    }
    {
        // The replay and the join happen together: a message published meanwhile
        // is either in the replay or delivered live, never both, never neither.
        std::lock_guard lock(mu_);
        if (after.value) {
            trim(options_.now());
            const std::int64_t n = *after.value;
            auto first = std::upper_bound(entries_.begin(), entries_.end(), n,
                                          [](std::int64_t v, const entry& e) { return v < e.number; });
            std::size_t count = static_cast<std::size_t>(entries_.end() - first);
            std::size_t bytes = 0;
            for (auto it = first; it != entries_.end(); ++it) bytes += it->frame->size();
            std::string_view note;
            if (options_.log.window.count() == 0) note = " (nothing is kept: --recovery-window-ms is 0)";
            else if (!entries_.empty() && entries_.front().number - 1 > n) note = " (older ones are no longer kept)";
            else if (entries_.empty()) note = " (nothing is kept yet)";
            // The newest that fit in the send queue.
            std::size_t skipped = 0;
            while (count > 0 && (count > options_.max_replay_packets || bytes > options_.max_replay_bytes)) {
                bytes -= first->frame->size();
                ++first;
                --count;
                ++skipped;
            }
            if (!note.empty() || skipped > 0) {
                log::info("plain stream from {} resumes after {}: {} replayed from {}{}{}", r.peer, n, count,
                          count ? std::to_string(first->number) : std::string("-"), note,
                          skipped ? fmt::format(" ({} more than the send queue holds were left out)", skipped)
                                  : std::string());
            } else {
                log::debug("plain stream from {} resumes after {}: {} replayed", r.peer, n, count);
            }
            for (auto it = first; it != entries_.end(); ++it) c->deliver(out_frame{it->frame, false});
        }
        if (!set_.insert(c)) return;
    }
    if (presence_) presence_(+1);
}

void resumable_hub::on_close(connection& c) {
    if (set_.erase(&c) && presence_) presence_(-1);
}

}  // namespace beastio::server
