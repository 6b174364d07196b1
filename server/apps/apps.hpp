// The applications beastio ships. Each installs itself on the context before
// the server starts and returns an object that lives as long as the server.
#pragma once

#include "server/context.hpp"
#include "server/net.hpp"

#include <memory>

namespace beastio::server::apps {

class app {
public:
    virtual ~app() = default;
    virtual void shutdown() {}  // thread-safe: stop producing (SIGTERM)
};

// One shared producer: integer N goes out as 42["integer",N] on "/" and as the
// text frame "N" on the plain stream, once per tick, only while someone listens.
std::shared_ptr<app> install_integers(net::io_context& ioc, context& ctx);

// The API's demo: auth echo on "/" and "/custom", message -> message-back,
// message-with-ack acknowledged with its arguments, join / leave / to-room for
// rooms, and fail, whose handler throws (docs/usage.md lists them).
std::shared_ptr<app> install_echo(context& ctx);

}  // namespace beastio::server::apps
