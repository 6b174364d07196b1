// Memory for one asynchronous operation at a time, inside the object that
// starts it: a session's read wait or its heartbeat wait, which every idle
// connection keeps pending for its whole life.
//
// Without it, Asio takes an operation's memory from its per-thread recycling
// cache, which hands out any cached block at least as big as asked: the long
// wait of an idle connection then keeps a block sized for the HTTP read that
// came before it (about 550 bytes here, measured with heaptrack on 5000 idle
// connections, docs/benchmarks.md), for as long as the connection lives.
//
// The slot serves one operation at a time. Asio releases an operation's memory
// before it runs the handler, so a handler that starts the next wait finds the
// slot free again; an allocation that finds it taken (a wait replaced before
// the old one has completed) or too small goes to the heap. The flag is atomic:
// with --threads N the memory can be released on another I/O thread than the
// one that starts the next operation.
#pragma once

#include "server/core/net.hpp"

#include <atomic>
#include <cstddef>
#include <new>

namespace beastio::server {

template <std::size_t Size>
class handler_slot {
public:
    handler_slot() = default;
    handler_slot(const handler_slot&) = delete;
    handler_slot& operator=(const handler_slot&) = delete;

    void* allocate(std::size_t n, std::size_t align) {
        if (n <= Size && align <= alignof(std::max_align_t) && !taken_.exchange(true, std::memory_order_acquire))
            return storage_;
        return ::operator new(n, std::align_val_t(align));
    }

    void deallocate(void* p, std::size_t, std::size_t align) {
        if (p == storage_) taken_.store(false, std::memory_order_release);
        else ::operator delete(p, std::align_val_t(align));
    }

private:
    alignas(std::max_align_t) unsigned char storage_[Size];
    std::atomic<bool> taken_{false};
};

// The allocator Asio finds associated with a handler (net::bind_allocator).
template <class T, std::size_t Size>
class slot_allocator {
public:
    using value_type = T;

    explicit slot_allocator(handler_slot<Size>& slot) noexcept : slot_(&slot) {}
    template <class U>
    slot_allocator(const slot_allocator<U, Size>& other) noexcept : slot_(other.slot_) {}

    T* allocate(std::size_t n) { return static_cast<T*>(slot_->allocate(n * sizeof(T), alignof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { slot_->deallocate(p, n * sizeof(T), alignof(T)); }

    template <class U>
    struct rebind {
        using other = slot_allocator<U, Size>;
    };

    template <class U>
    bool operator==(const slot_allocator<U, Size>& other) const noexcept {
        return slot_ == other.slot_;
    }

private:
    template <class, std::size_t>
    friend class slot_allocator;
    handler_slot<Size>* slot_;
};

// handler, with its operation's memory in slot.
template <std::size_t Size, class Handler>
auto in_slot(handler_slot<Size>& slot, Handler&& handler) {
    return net::bind_allocator(slot_allocator<void, Size>(slot), std::forward<Handler>(handler));
}

}  // namespace beastio::server
