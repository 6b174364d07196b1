#include "server/socketio/sio_recovery_log.hpp"

#include <charconv>

namespace beastio::server {

recovery_log::recovery_log(recovery_bounds bounds, std::string epoch) : bounds_(bounds), epoch_(std::move(epoch)) {}

std::string recovery_log::offset_of(std::uint64_t seq) const { return epoch_ + "." + std::to_string(seq); }

std::optional<std::uint64_t> recovery_log::parse(std::string_view offset) const {
    if (offset.size() <= epoch_.size() + 1 || offset.substr(0, epoch_.size()) != epoch_ || offset[epoch_.size()] != '.')
        return std::nullopt;
    const std::string_view digits = offset.substr(epoch_.size() + 1);
    if (digits.size() > 1 && digits.front() == '0') return std::nullopt;  // one spelling per number
    std::uint64_t seq = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    if (seq >= next_seq_) return std::nullopt;  // never handed out
    return seq;
}

void recovery_log::append(time_point now, std::vector<out_frame> frames, std::vector<std::string> rooms,
                          std::vector<std::string> except) {
    entry e;
    e.seq = next_seq_++;
    e.at = now;
    for (const auto& f : frames) e.bytes += f.data ? f.data->size() : 0;
    e.frames = std::move(frames);
    e.rooms = std::move(rooms);
    e.except = std::move(except);
    bytes_ += e.bytes;
    entries_.push_back(std::move(e));
    while (!entries_.empty() && (entries_.size() > bounds_.max_packets || bytes_ > bounds_.max_bytes)) drop_front();
    trim(now);
}

void recovery_log::trim(time_point now) {
    while (!entries_.empty() && now - entries_.front().at > bounds_.window) drop_front();
}

void recovery_log::drop_front() {
    bytes_ -= entries_.front().bytes;
    entries_.pop_front();
}

recovery_log::missed recovery_log::since(std::uint64_t seq) const {
    missed out;
    if (seq > next_seq_) return out;  // from the future: not ours
    const std::uint64_t first = entries_.empty() ? next_seq_ : entries_.front().seq;
    // Complete when nothing after seq was dropped: the oldest kept is at most seq.
    out.complete = seq >= first;
    const std::uint64_t from = seq < first ? first : seq;
    for (std::uint64_t s = from; s < next_seq_; ++s) out.entries.push_back(&entries_[static_cast<std::size_t>(s - first)]);
    return out;
}

}  // namespace beastio::server
