// Middleware: checks that run before a socket joins its namespace, as
// socket.io's io.use / namespace.use, able to refuse with CONNECT_ERROR and data.
#pragma once

#include "protocol/json.hpp"
#include "server/socketio/sio_fwd.hpp"
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace beastio::server {

// Why a middleware refused a CONNECT: sent as CONNECT_ERROR {"message":..., "data":...}.
struct connect_error {
    std::string message;
    std::optional<json::value> data{};
};

// Continues (no argument) or refuses (an error) a CONNECT. Call it once; later
// calls are ignored. Thread-safe; may be called after the middleware returned.
class middleware_next {
public:
    using resume_fn = std::function<void(std::optional<connect_error>)>;
    explicit middleware_next(resume_fn f) : state_(std::make_shared<state>(std::move(f))) {}

    void operator()() const { finish(std::nullopt); }
    void operator()(connect_error err) const { finish(std::move(err)); }

private:
    struct state {
        explicit state(resume_fn f) : resume(std::move(f)) {}
        resume_fn resume;
        std::atomic<bool> called{false};
    };
    void finish(std::optional<connect_error> err) const;
    std::shared_ptr<state> state_;
};

using middleware = std::function<void(const socket_ptr&, const middleware_next& next)>;

}  // namespace beastio::server
