#include "server/socketio/sio_server.hpp"

#include "protocol/socketio/broadcast.hpp"
#include "protocol/socketio/packet.hpp"
#include "server/core/log.hpp"

#include <chrono>

namespace beastio::server {

std::vector<sio_namespace*> sio_dynamic_namespace::children() const {
    std::lock_guard lock(mu_);
    return children_;
}

std::size_t sio_dynamic_namespace::emit(std::string_view event, const json::array& args) {
    std::size_t n = 0;
    for (auto* nsp : children()) n += nsp->emit(event, args);
    return n;
}

sio_namespace& sio_server::create(const std::string& name) {
    auto [it, ok] = namespaces_.emplace(name, std::make_unique<sio_namespace>(name, limits_, adapter_factory_));
    (void)ok;
    return *it->second;
}

sio_namespace& sio_server::of(const std::string& name) {
    std::lock_guard lock(mu_);
    auto it = namespaces_.find(name);
    if (it != namespaces_.end()) return *it->second;
    return create(name);
}

sio_dynamic_namespace& sio_server::of(const std::regex& pattern) {
    return of(namespace_predicate([pattern](std::string_view name, const json::value&) {
        return std::regex_match(name.begin(), name.end(), pattern);
    }));
}

sio_dynamic_namespace& sio_server::of(namespace_predicate predicate) {
    std::lock_guard lock(mu_);
    dynamic_.push_back(std::make_unique<sio_dynamic_namespace>(std::move(predicate)));
    return *dynamic_.back();
}

sio_namespace* sio_server::find(std::string_view name) {
    std::lock_guard lock(mu_);
    auto it = namespaces_.find(name);
    return it == namespaces_.end() ? nullptr : it->second.get();
}

sio_namespace* sio_server::resolve(std::string_view name, const json::value& auth) {
    std::lock_guard lock(mu_);
    if (auto it = namespaces_.find(name); it != namespaces_.end()) return it->second.get();
    for (auto& d : dynamic_) {
        // The predicate is the application's; it runs under the registry's lock (keep it quick).
        if (!d->predicate_(name, auth)) continue;
        if (dynamic_created_ >= limits_.max_dynamic_namespaces) {
            static log::throttle throttle(std::chrono::seconds(10));
            std::uint64_t left_out = 0;
            if (throttle.allow(std::chrono::steady_clock::now(), &left_out))
                log::warn("CONNECT to {} refused: {} dynamic namespaces exist (--max-dynamic-namespaces); "
                          "{} more refused since the last such line",
                          shown(name), dynamic_created_, left_out);
            return nullptr;
        }
        ++dynamic_created_;
        sio_namespace& nsp = create(std::string(name));
        nsp.connection_handlers_ = d->connection_handlers_;
        nsp.middlewares_ = d->middlewares_;
        {
            std::lock_guard child_lock(d->mu_);
            d->children_.push_back(&nsp);
        }
        log::info("dynamic namespace {} created", shown(name));
        return &nsp;
    }
    return nullptr;
}

std::size_t sio_server::emit(std::string_view event, const json::array& args) {
    sio_namespace* root = find("/");
    return root ? root->emit(event, args) : 0;
}

std::size_t sio_server::emit_all_namespaces(std::string_view event, const json::array& args) {
    std::size_t n = 0;
    for (auto* nsp : namespaces()) n += nsp->emit(event, args);
    return n;
}

std::vector<sio_namespace*> sio_server::namespaces() {
    std::lock_guard lock(mu_);
    std::vector<sio_namespace*> out;
    out.reserve(namespaces_.size());
    for (auto& [name, nsp] : namespaces_) out.push_back(nsp.get());
    return out;
}

}  // namespace beastio::server
