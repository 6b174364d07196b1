#include "server/websocket/plain_endpoint.hpp"

namespace beastio::server {

void plain_hub::join(const std::shared_ptr<connection>& c) {
    if (set_.insert(c) && presence_) presence_(+1);
}

void plain_hub::leave(const connection* c) {
    if (set_.erase(c) && presence_) presence_(-1);
}

}  // namespace beastio::server
