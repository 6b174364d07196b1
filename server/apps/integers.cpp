#include "protocol/socketio/broadcast.hpp"
#include "server/apps/apps.hpp"
#include "server/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace beastio::server::apps {
namespace {

class integer_producer final : public app, public std::enable_shared_from_this<integer_producer> {
public:
    integer_producer(net::io_context& ioc, context& ctx)
        : ctx_(ctx), root_(ctx.io.of("/")), strand_(net::make_strand(ioc)), timer_(strand_),
          period_(std::chrono::milliseconds(ctx.cfg.tick_ms)) {}

    // Thread-safe: a listener arrived (+1) or left (-1).
    void presence(int delta) {
        listeners_.fetch_add(delta, std::memory_order_acq_rel);
        net::post(strand_, [self = shared_from_this()] { self->reevaluate(); });
    }

    void shutdown() override {
        net::post(strand_, [self = shared_from_this()] {
            self->stopped_ = true;
            self->halt();
        });
    }

private:
    // On the strand: run exactly while someone listens. Posting this after
    // every change (instead of acting on the counter's edge) makes concurrent
    // joins and leaves converge on the right state.
    void reevaluate() {
        const bool wanted = !stopped_ && listeners_.load(std::memory_order_acquire) > 0;
        if (wanted && !running_) {
            running_ = true;
            next_ = std::chrono::steady_clock::now() + period_;
            log::info("integer producer running (next integer {})", value_ + 1);
            arm();
        } else if (!wanted && running_) {
            halt();
        }
    }

    void halt() {
        if (!running_) return;
        running_ = false;
        ++generation_;
        timer_.cancel();
        log::info("integer producer idle at {} (no listener)", value_);
    }

    void arm() {
        timer_.expires_at(next_);
        timer_.async_wait([self = shared_from_this(), gen = generation_](beast::error_code ec) {
            if (ec) return;
            try {
                self->tick(gen);
            } catch (const std::exception& e) {
                // Out of memory in a fan-out, say: the producer must outlive it.
                self->recover(e.what());
            } catch (...) {
                self->recover("an exception that is not a std::exception");
            }
        });
    }

    void recover(std::string_view what) {
        log::error("integer producer: tick {} failed: {}; retrying next period", value_ + 1, what);
        if (!running_) return;
        next_ = std::chrono::steady_clock::now() + period_;
        arm();
    }

    void tick(std::uint64_t gen) {
        if (!running_ || gen != generation_) return;
        const std::int64_t candidate = value_ + 1;
        // Each form is encoded once and the buffer shared by every recipient.
        const std::size_t sent = root_.broadcast_frame(make_frame(sio::encode_int_event_frame("/", "integer", candidate))) +
                                 ctx_.plain.broadcast(make_frame(std::to_string(candidate)));
        if (sent == 0) {
            // Nobody received it: keep the number for the next listener (never a skip).
            reevaluate();
            if (!running_) return;
        } else {
            value_ = candidate;
        }
        // Fixed rate. When a fan-out takes longer than the period (many clients,
        // a short period), the next tick starts as soon as this one is done:
        // the cycle becomes max(fan-out, period), never fan-out + period. Slots
        // missed by more than one period are dropped rather than burst.
        next_ += period_;
        const auto now = std::chrono::steady_clock::now();
        if (next_ + period_ < now) next_ = now;
        arm();
    }

    context& ctx_;
    namespace_& root_;
    net::strand<net::io_context::executor_type> strand_;
    net::steady_timer timer_;
    const std::chrono::milliseconds period_;
    std::atomic<long> listeners_{0};
    std::chrono::steady_clock::time_point next_{};
    std::int64_t value_ = 0;
    std::uint64_t generation_ = 0;
    bool running_ = false;
    bool stopped_ = false;
};

}  // namespace

std::shared_ptr<app> install_integers(net::io_context& ioc, context& ctx) {
    auto producer = std::make_shared<integer_producer>(ioc, ctx);
    std::weak_ptr<integer_producer> weak = producer;
    ctx.io.of("/").on_connection([weak](const socket_ptr& s) {
        auto p = weak.lock();
        if (!p) return;
        p->presence(+1);
        s->on_disconnect([weak](const socket_ptr&, std::string_view) {
            if (auto q = weak.lock()) q->presence(-1);
        });
    });
    ctx.plain.on_presence([weak](int delta) {
        if (auto p = weak.lock()) p->presence(delta);
    });
    return producer;
}

}  // namespace beastio::server::apps
