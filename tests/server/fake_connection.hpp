// A connection that writes nothing: it records every delivered frame (in
// order, with the shared buffer it was given) and every close request.
// Calls come from the test's one thread, as on a connection strand.
#pragma once

#include "server/core/connection.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace beastio::test {

struct recorded_frame {
    bool binary = false;
    std::string bytes;
    server::frame_ptr data;  // the very buffer delivered (pointer equality for broadcasts)
    std::size_t unit = 0;    // frames delivered by one deliver() call share a unit number
};

class fake_connection final : public server::connection {
public:
    void deliver(server::out_frame frame) override {
        ++units_;
        record(frame);
    }
    void deliver(std::span<const server::out_frame> frames) override {
        ++units_;
        for (const auto& f : frames) record(f);
    }
    // Dropped while the test says frames are waiting (backlogged), queued otherwise.
    void deliver_volatile(std::span<const server::out_frame> frames) override {
        if (backlogged) {
            ++dropped;
            return;
        }
        deliver(frames);
    }
    void close(server::close_cause cause) override { closes.push_back(cause); }
    // The test thread plays the strand: run inline, as dispatch does on the strand.
    void run_on_strand(std::function<void()> f) override { f(); }
    // Timers do not run by themselves: the test fires them (fire_timers) in its own time.
    cancel_fn run_after(std::chrono::milliseconds delay, std::function<void()> f) override {
        auto t = std::make_shared<timer>(timer{delay, std::move(f), false});
        timers.push_back(t);
        return [t] { t->cancelled = true; };
    }
    // Runs every timer not yet run or cancelled; returns how many ran.
    std::size_t fire_timers() {
        std::size_t ran = 0;
        auto due = timers;
        for (auto& t : due) {
            if (t->cancelled || !t->f) continue;
            auto f = std::move(t->f);
            t->f = nullptr;
            f();
            ++ran;
        }
        return ran;
    }
    std::size_t pending_timers() const {
        std::size_t n = 0;
        for (const auto& t : timers) n += !t->cancelled && t->f ? 1 : 0;
        return n;
    }

    // Text of frame i (for readable failures: binary frames show as "<bin:...>").
    std::string text(std::size_t i) const {
        const auto& f = transcript.at(i);
        return f.binary ? "<bin:" + f.bytes + ">" : f.bytes;
    }
    const recorded_frame& last() const { return transcript.back(); }
    std::size_t units() const { return units_; }

    std::vector<recorded_frame> transcript;
    std::vector<server::close_cause> closes;
    bool backlogged = false;   // deliver_volatile drops while true
    std::size_t dropped = 0;   // volatile packets dropped

    struct timer {
        std::chrono::milliseconds delay;
        std::function<void()> f;
        bool cancelled;
    };
    std::vector<std::shared_ptr<timer>> timers;

private:
    void record(const server::out_frame& f) {
        transcript.push_back(recorded_frame{f.binary, f.data ? *f.data : std::string(), f.data, units_});
    }
    std::size_t units_ = 0;
};

}  // namespace beastio::test
