// A small chat on the library: rooms, acknowledgements, middleware with a
// token check, socket.data, volatile typing notices and the disconnecting
// event. The beastio-chat executable (examples/chat/main.cpp) serves it.
#pragma once

#include "server/server_process.hpp"

#include <string>

namespace beastio::examples {

struct chat_options {
    // The token every client must present as auth.token (non-empty).
    std::string token;
    std::size_t max_text_bytes = 2000;  // longer messages are refused in the ack
};

// Namespace /chat. A client connects with auth {name, token}; then:
//   join(room) -> ack {ok, members}        leave(room) -> ack {ok}
//   say(room, text) -> ack {delivered} or {error}; the room but the sender get
//       message {room, from, text, at}
//   typing(room): the room but the sender get typing {room, from} (volatile)
//   who(room) -> ack [names]
// Everyone starts in "lobby"; joined {room, name} and left {room, name} tell a
// room who comes and goes.
void install_chat(server::server_process& srv, chat_options opts);

}  // namespace beastio::examples
