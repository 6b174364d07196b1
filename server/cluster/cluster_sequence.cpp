#include "server/cluster/cluster_sequence.hpp"

#include "server/core/ids.hpp"
#include "server/core/log.hpp"

#include <charconv>

namespace beastio::server {
namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// {1, counter exists} when the lease is ours now; {0, its time to live in ms} otherwise.
constexpr std::string_view acquire_script = R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('EXISTS', KEYS[2])}
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, redis.call('EXISTS', KEYS[2])}
end
return {0, redis.call('PTTL', KEYS[1])}
)lua";

constexpr std::string_view renew_script = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
)lua";

constexpr std::string_view release_script = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], 'released')
  return 1
end
return 0
)lua";

// KEYS: lease, counter, node set. ARGV: token, value, node key prefix, tick channel, uid, then commands, each
// as its argument count and its arguments (the broadcast's PUBLISH or XADD).
// {1, value} published; {0, 0} not the leader; {2, known} behind; {3, known} nobody listens.
constexpr std::string_view publish_script = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0, 0} end
local known = tonumber(redis.call('GET', KEYS[2]) or '0')
local listeners = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local v = redis.call('GET', ARGV[3] .. id)
  if v then
    local l, seen = string.match(v, '^(%d+) (%d+)$')
    if l then
      listeners = listeners + tonumber(l)
      if tonumber(seen) > known then known = tonumber(seen) end
    end
  else
    redis.call('SREM', KEYS[3], id)
  end
end
local value = tonumber(ARGV[2])
if value <= known then return {2, known} end
if listeners == 0 then return {3, known} end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[4], ARGV[2] .. ' ' .. ARGV[5])
local i = 6
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return {1, value}
)lua";

bool pair_reply(const redis::reply& r, long long& a, long long& b) {
    if (r.t != redis::reply::type::array || r.elements.size() != 2) return false;
    if (r.elements[0].t != redis::reply::type::integer || r.elements[1].t != redis::reply::type::integer) return false;
    a = r.elements[0].integer;
    b = r.elements[1].integer;
    return true;
}

}  // namespace

cluster_sequence::cluster_sequence(boost::asio::io_context& ioc, cluster_node& node, sequence_options options)
    : node_(node),
      opts_(std::move(options)),
      token_(node.uid() + ":" + random_id()),
      tick_channel_(fmt::format("{}#{}#tick", node.options().app_key, opts_.name)),
      wake_channel_(fmt::format("{}#{}#wake", node.options().app_key, opts_.name)),
      strand_(net::make_strand(ioc)),
      lease_timer_(strand_),
      presence_timer_(strand_),
      settle_timer_(strand_) {}

cluster_sequence::~cluster_sequence() {
    if (sink_) sink_->off();
}

std::string cluster_sequence::key(std::string_view what) const {
    return fmt::format("{}:{}:{}", node_.options().app_key, opts_.name, what);
}

void cluster_sequence::start() {
    std::weak_ptr<cluster_sequence> weak = shared_from_this();
    sink_ = std::make_shared<channel_sink>([weak](std::string_view channel, std::string_view payload) {
        auto self = weak.lock();
        if (!self) return;
        net::post(self->strand_, [self, wake = channel == self->wake_channel_, p = std::string(payload)] {
            if (self->stopped_) return;
            if (!wake) return self->on_tick_message(p);
            if (self->on_wake_) self->on_wake_();
        });
    }, [weak]() -> std::shared_ptr<void> { return weak.lock(); });
    node_.subscribe(tick_channel_, sink_);
    node_.subscribe(wake_channel_, sink_);
    // Redis back (after a restart that may have lost everything): report at once, and try for the lease.
    node_.on_redis_state([weak](bool up) {
        auto self = weak.lock();
        if (!self || !up) return;
        net::post(self->strand_, [self] {
            self->reported_listeners_ = -1;
            self->report();
            if (!self->leading_) self->try_acquire();
        });
    });
    net::post(strand_, [self = shared_from_this()] {
        self->report();
        self->try_acquire();
    });
}

void cluster_sequence::stop() {
    // Sent from here, not from the strand, so they are on the Redis client's
    // books (pending()) before the shutdown checks whether it may exit.
    const bool was = leading_.exchange(false);
    settled_ = false;
    // Our presence goes at once (a stopping node has no listeners), and the lease to the next leader.
    node_.commands().send({"DEL", key("node:" + node_.uid())});
    node_.commands().send({"SREM", key("nodes"), node_.uid()});
    if (was) {
        node_.commands().send({"EVAL", std::string(release_script), "1", key("leader"), token_, tick_channel_});
        log::info("cluster: {} producer on node {} handed its lease over (stopping)", opts_.name, node_.uid());
    }
    net::post(strand_, [self = shared_from_this()] {
        self->stopped_ = true;
        self->lease_timer_.cancel();
        self->presence_timer_.cancel();
        self->settle_timer_.cancel();
    });
}

void cluster_sequence::add_listeners(long delta) {
    listeners_.fetch_add(delta);
    net::post(strand_, [self = shared_from_this()] { self->report(); });
}

// On the strand: "<listeners> <last seen>" with a time to live; a node's first listener also wakes the leader.
void cluster_sequence::report() {
    if (stopped_) return;
    const long n = std::max(0L, listeners_.load());
    const bool woke = n > 0 && reported_listeners_ <= 0;
    reported_listeners_ = n;
    const auto ttl = std::to_string((opts_.presence_every * 3).count());
    node_.commands().send({"SET", key("node:" + node_.uid()), fmt::format("{} {}", n, last_.load()), "PX", ttl});
    node_.commands().send({"SADD", key("nodes"), node_.uid()});
    if (woke) node_.commands().send({"PUBLISH", wake_channel_, node_.uid()});
    presence_timer_.expires_after(opts_.presence_every);
    presence_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->report();
    });
}

void cluster_sequence::try_acquire() {
    if (stopped_ || leading_) return;
    lease_timer_.cancel();
    const auto sent = clock::now();
    node_.commands().send(
        {"EVAL", std::string(acquire_script), "2", key("leader"), key("counter"), token_,
         std::to_string(opts_.lease.count())},
        [self = shared_from_this(), sent](const redis::reply& r) {
            net::post(self->strand_, [self, r, sent] {
                if (self->stopped_ || self->leading_) return;
                long long won = 0, detail = 0;
                auto next = self->opts_.lease / 4;
                if (pair_reply(r, won, detail)) {
                    if (won == 1) {
                        self->lease_until_ = sent + self->opts_.lease;
                        return self->became_leader(detail == 1);
                    }
                    // The leader's lease runs out in `detail` ms: try again just after.
                    if (detail >= 0) next = std::chrono::milliseconds(detail + 5);
                } else if (!r.is_error()) {
                    log::warn("cluster: unexpected reply to the lease request");
                }
                next = std::clamp(next, std::chrono::milliseconds(5), self->opts_.lease);
                self->lease_timer_.expires_after(next);
                self->lease_timer_.async_wait([self](boost::system::error_code ec) {
                    if (!ec) self->try_acquire();
                });
            });
        });
}

void cluster_sequence::became_leader(bool counter_exists) {
    leading_ = true;
    log::info("cluster: node {} now produces the {} (lease {} ms{})", node_.uid(), opts_.name, opts_.lease.count(),
              counter_exists ? "" : "; no counter in Redis: waiting for the nodes' reports first");
    const auto arm_renew = [this] {
        lease_timer_.expires_after(opts_.lease / 3);
        lease_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->renew();
        });
    };
    arm_renew();
    if (counter_exists) {
        settled_ = true;
        if (on_role_) on_role_(true);
        return;
    }
    // Redis lost its data (or this is the cluster's first start): the nodes report their last value on
    // reconnection, which may take them up to the reconnection backoff's cap; give them that and a presence
    // interval (at least one and a half) so the next value follows the highest.
    settle_timer_.expires_after(std::max(opts_.presence_every + opts_.presence_every / 2,
                                         opts_.reconnect_max + opts_.presence_every));
    settle_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec || !self->leading_) return;
        self->settled_ = true;
        if (self->on_role_) self->on_role_(true);
    });
}

void cluster_sequence::renew() {
    if (stopped_ || !leading_) return;
    if (clock::now() >= lease_until_) return lost_lease("its lease ran out before Redis confirmed a renewal");
    const auto sent = clock::now();
    node_.commands().send(
        {"EVAL", std::string(renew_script), "1", key("leader"), token_, std::to_string(opts_.lease.count())},
        [self = shared_from_this(), sent](const redis::reply& r) {
            net::post(self->strand_, [self, r, sent] {
                if (self->stopped_ || !self->leading_) return;
                if (r.t == redis::reply::type::integer && r.integer == 1) self->lease_until_ = sent + self->opts_.lease;
                else if (r.t == redis::reply::type::integer) return self->lost_lease("another node holds the lease");
                // An error (Redis away): still ours until lease_until_, checked at the next renewal.
            });
        });
    lease_timer_.expires_after(opts_.lease / 3);
    lease_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->renew();
    });
}

void cluster_sequence::lost_lease(const char* why) {
    if (!leading_) return;
    leading_ = false;
    settled_ = false;
    settle_timer_.cancel();
    log::warn("cluster: node {} stops producing the {}: {}", node_.uid(), opts_.name, why);
    if (on_role_) on_role_(false);
    lease_timer_.cancel();
    lease_timer_.expires_after(opts_.lease / 4);
    lease_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->try_acquire();
    });
}

void cluster_sequence::publish(std::int64_t value, std::vector<message> messages, publish_done done) {
    net::post(strand_, [self = shared_from_this(), value, messages = std::move(messages), done = std::move(done)]() mutable {
        if (self->stopped_ || !self->leading_ || !self->settled_ || clock::now() >= self->lease_until_)
            return done(outcome::not_leader, self->last_.load());
        redis::command c{"EVAL", std::string(publish_script), "3", self->key("leader"), self->key("counter"),
                         self->key("nodes"), self->token_, std::to_string(value), self->key("node:"),
                         self->tick_channel_, self->node_.uid()};
        for (auto& m : messages) {
            c.push_back(std::to_string(m.size()));
            for (auto& arg : m) c.push_back(std::move(arg));
        }
        self->node_.commands().send(std::move(c), [self, value, done = std::move(done)](const redis::reply& r) mutable {
            net::post(self->strand_, [self, value, r, done = std::move(done)] {
                long long code = 0, n = 0;
                if (!pair_reply(r, code, n)) {
                    if (!r.is_error()) log::warn("cluster: unexpected reply to a publish");
                    return done(outcome::failed, self->last_.load());
                }
                switch (code) {
                    case 1:
                        ++self->published_;
                        if (value > self->last_.load()) self->last_ = value;
                        return done(outcome::published, value);
                    case 0:
                        ++self->refused_;
                        self->lost_lease("the lease was another node's when it published (fenced)");
                        return done(outcome::not_leader, self->last_.load());
                    case 2:
                        if (n > self->last_.load()) self->last_ = n;
                        return done(outcome::behind, n);
                    default: return done(outcome::idle, n);
                }
            });
        });
    });
}

void cluster_sequence::on_tick_message(std::string_view payload) {
    if (payload == "released") {
        if (!leading_) try_acquire();
        return;
    }
    std::int64_t value = 0;
    const auto sp = payload.find(' ');
    const auto num = payload.substr(0, sp);
    if (std::from_chars(num.data(), num.data() + num.size(), value).ec != std::errc{}) return;
    const auto from = sp == std::string_view::npos ? std::string_view{} : payload.substr(sp + 1);
    const bool mine = from == node_.uid();
    if (value > last_.load()) last_ = value;
    if (on_value_) on_value_(value, mine);
}

std::string cluster_sequence::status_json() const {
    return fmt::format(R"("{}":{{"leading":{},"last":{},"listeners":{}}})", opts_.name, leading_.load() ? "true" : "false",
                       last_.load(), listeners_.load());
}

}  // namespace beastio::server
