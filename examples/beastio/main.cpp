// beastio: a websocket-only Socket.IO server running the integers service
// (or, with --app echo, the echo service). See README.md and docs/usage.md.
#include "echo/echo.hpp"
#include "integers/integers.hpp"
#include "server/core/config.hpp"
#include "server/server_process.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fmt/format.h>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
    using beastio::server::parse_outcome;
    std::vector<std::string> args(argv + 1, argv + argc);
    beastio::server::environment env;
    if (const char* p = std::getenv("PORT")) env.port = std::string(p);
    if (const char* t = std::getenv("BEASTIO_AUTH_TOKEN")) env.auth_token = std::string(t);

    const auto parsed = beastio::server::parse_args(args, env, std::thread::hardware_concurrency());
    switch (parsed.what) {
        case parse_outcome::action::help:
            fmt::print("{}", beastio::server::help_text());
            return 0;
        case parse_outcome::action::version:
            fmt::print("beastio {}\n", BEASTIO_VERSION);
            return 0;
        case parse_outcome::action::error:
            fmt::print(stderr, "beastio: {}\n", parsed.message);
            return 2;
        case parse_outcome::action::run:
            break;
    }
    try {
        beastio::server::server_process srv(parsed.cfg);
        if (parsed.cfg.app == beastio::server::app_kind::echo) beastio::examples::install_echo(srv);
        else beastio::examples::install_integers(srv);
        return srv.run();
    } catch (const std::exception& e) {
        fmt::print(stderr, "beastio: cannot start: {}\n", e.what());
        return 1;
    }
}
