// beastio-chat: the chat example (examples/chat/chat.hpp) as a server. It
// takes every flag of docs/usage.md; CHAT_TOKEN is the token clients present.
#include "chat/chat.hpp"
#include "server/server_process.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

int main(int argc, char** argv) {
    return beastio::server::run_main(argc, argv, "beastio-chat", BEASTIO_VERSION, [](beastio::server::server_process& srv) {
        const char* token = std::getenv("CHAT_TOKEN");
        if (!token || !*token) throw std::runtime_error("set CHAT_TOKEN to the token chat clients must present");
        beastio::examples::install_chat(srv, {.token = token});
    });
}
