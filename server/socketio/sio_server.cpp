#include "server/socketio/sio_server.hpp"

namespace beastio::server {

sio_namespace& sio_server::of(const std::string& name) {
    auto it = namespaces_.find(name);
    if (it != namespaces_.end()) return *it->second;
    auto [ins, ok] = namespaces_.emplace(name, std::make_unique<sio_namespace>(name, limits_));
    (void)ok;
    return *ins->second;
}

sio_namespace* sio_server::find(std::string_view name) {
    auto it = namespaces_.find(name);
    return it == namespaces_.end() ? nullptr : it->second.get();
}

}  // namespace beastio::server
