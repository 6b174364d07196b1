// The send queue of one connection: FIFO of shared frames. Unlike std::deque
// (which allocates a 512-byte block as soon as it is constructed) it owns no
// memory while empty, which is the usual state of an idle connection; storage
// grows with use and is released when the queue drains after a burst. It
// counts the bytes it refers to, so the session bounds bytes as well as frames.
#pragma once

#include "server/core/connection.hpp"

#include <cstddef>
#include <vector>

namespace beastio::server {

inline std::size_t frame_bytes(const out_frame& f) { return f.data ? f.data->size() : 0; }

class frame_queue {
public:
    bool empty() const { return head_ == items_.size(); }
    std::size_t size() const { return items_.size() - head_; }
    // Payload bytes of the frames queued (the front one included until it is popped).
    std::size_t bytes() const { return bytes_; }

    const out_frame& front() const { return items_[head_]; }
    // The i-th frame from the front (i < size()).
    const out_frame& at(std::size_t i) const { return items_[head_ + i]; }

    void push_back(out_frame f) {
        bytes_ += frame_bytes(f);
        items_.push_back(std::move(f));
    }

    void pop_front() {
        bytes_ -= frame_bytes(items_[head_]);
        items_[head_] = out_frame{};  // drop the reference now
        ++head_;
        if (head_ == items_.size()) {
            clear();
        } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
            items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
    }

    // Keeps only the front frame (the one being written).
    void truncate_after_front() {
        if (empty()) return;
        items_.resize(head_ + 1);
        bytes_ = frame_bytes(items_[head_]);
    }

    void clear() {
        items_.clear();
        head_ = 0;
        bytes_ = 0;
        release_if_large();
    }

private:
    static constexpr std::size_t keep_capacity = 16;

    void release_if_large() {
        if (items_.capacity() > keep_capacity) std::vector<out_frame>().swap(items_);
    }

    std::vector<out_frame> items_;
    std::size_t head_ = 0;
    std::size_t bytes_ = 0;

public:
    // For tests: the storage currently held.
    std::size_t capacity() const { return items_.capacity(); }
};

}  // namespace beastio::server
