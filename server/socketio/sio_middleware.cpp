#include "server/socketio/sio_middleware.hpp"

namespace beastio::server {

void middleware_next::finish(std::optional<connect_error> err) const {
    if (state_->called.exchange(true)) return;  // once
    auto resume = std::move(state_->resume);
    state_->resume = nullptr;
    if (resume) resume(std::move(err));
}

}  // namespace beastio::server
