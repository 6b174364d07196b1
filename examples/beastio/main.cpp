// beastio: a websocket-only Socket.IO server running the integers service
// (or, with --app echo, the echo service). See README.md and docs/usage.md.
#include "echo/echo.hpp"
#include "integers/integers.hpp"
#include "server/server_process.hpp"

int main(int argc, char** argv) {
    using beastio::server::server_process;
    return beastio::server::run_main(argc, argv, "beastio", BEASTIO_VERSION, [](server_process& srv) {
        if (srv.cfg().app == beastio::server::app_kind::echo) beastio::examples::install_echo(srv);
        else beastio::examples::install_integers(srv);
    });
}
