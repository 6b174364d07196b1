#include "server/socketio/sio_server.hpp"

#include "protocol/socketio/broadcast.hpp"
#include "protocol/socketio/packet.hpp"
#include "server/core/log.hpp"

#include <algorithm>
#include <chrono>

namespace beastio::server {

std::vector<std::shared_ptr<sio_namespace>> sio_dynamic_namespace::children() const {
    std::vector<std::shared_ptr<sio_namespace>> out;
    std::lock_guard lock(mu_);
    for (const auto& w : children_)
        if (auto c = w.lock()) out.push_back(std::move(c));
    return out;
}

std::size_t sio_dynamic_namespace::emit(std::string_view event, const json::array& args) {
    std::size_t n = 0;
    for (const auto& nsp : children()) n += nsp->emit(event, args);
    return n;
}

std::shared_ptr<sio_namespace> sio_server::make(const std::string& name) const {
    // The adapter factory is the application's: never called under the registry's lock.
    return std::make_shared<sio_namespace>(name, limits_, adapter_factory_);
}

sio_namespace& sio_server::of(const std::string& name) {
    std::shared_ptr<sio_namespace> fresh;
    for (;;) {
        {
            std::lock_guard lock(mu_);
            if (auto it = namespaces_.find(name); it != namespaces_.end()) {
                sio_namespace& nsp = *it->second;
                if (nsp.parent_) {
                    // A dynamic namespace named by of() stays, like any other it returns
                    // (the reference must not dangle): it is no longer counted as dynamic.
                    nsp.parent_ = nullptr;
                    --dynamic_live_;
                }
                return nsp;
            }
            if (fresh) {
                auto [ins, ok] = namespaces_.emplace(name, std::move(fresh));
                (void)ok;
                return *ins->second;
            }
        }
        fresh = make(name);  // outside the lock: the adapter factory is the application's
    }
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

std::shared_ptr<sio_namespace> sio_server::find(std::string_view name) {
    std::lock_guard lock(mu_);
    auto it = namespaces_.find(name);
    return it == namespaces_.end() ? nullptr : it->second;
}

std::shared_ptr<sio_namespace> sio_server::resolve(std::string_view name, const json::value& auth) {
    {
        std::lock_guard lock(mu_);
        if (auto it = namespaces_.find(name); it != namespaces_.end()) {
            if (it->second->parent_) ++it->second->users_;
            return it->second;
        }
    }
    // Names are bounded before any predicate sees them (a pattern's matching
    // may recurse once per character).
    if (name.size() > limits_.max_dynamic_name_bytes) return nullptr;
    // dynamic_ is complete before the server starts; the predicates are the
    // application's and run without the registry's lock (they may call find()).
    for (auto& d : dynamic_) {
        if (!d->predicate_(name, auth)) continue;
        {
            // Full already: refuse before making an adapter for nothing (checked again below).
            std::lock_guard lock(mu_);
            if (dynamic_live_ >= limits_.max_dynamic_namespaces && !namespaces_.count(name)) {
                refuse_dynamic(name);
                return nullptr;
            }
        }
        auto fresh = make(std::string(name));
        fresh->connection_handlers_ = d->connection_handlers_;
        fresh->middlewares_ = d->middlewares_;
        fresh->parent_ = d.get();
        fresh->server_ = this;
        std::lock_guard lock(mu_);
        // Another connection may have created it meanwhile.
        if (auto it = namespaces_.find(name); it != namespaces_.end()) {
            if (it->second->parent_) ++it->second->users_;
            return it->second;
        }
        if (dynamic_live_ >= limits_.max_dynamic_namespaces) {
            refuse_dynamic(name);
            return nullptr;
        }
        ++dynamic_live_;
        fresh->users_ = 1;
        namespaces_.emplace(std::string(name), fresh);
        {
            std::lock_guard child_lock(d->mu_);
            d->children_.push_back(fresh);
        }
        log::debug("dynamic namespace {} created", shown(name));
        return fresh;
    }
    return nullptr;
}

void sio_server::refuse_dynamic(std::string_view name) const {
    static log::throttle throttle(std::chrono::seconds(10));
    std::uint64_t left_out = 0;
    if (throttle.allow(std::chrono::steady_clock::now(), &left_out))
        log::warn("CONNECT to {} refused: {} dynamic namespaces exist (--max-dynamic-namespaces); "
                  "{} more refused since the last such line",
                  shown(name), dynamic_live_, left_out);
}

void sio_server::release(sio_namespace& nsp) {
    std::shared_ptr<sio_namespace> gone;  // destroyed outside the lock
    {
        std::lock_guard lock(mu_);
        if (!nsp.parent_) return;  // registered (or named by of()): stays
        if (nsp.users_ == 0 || --nsp.users_ > 0) return;
        auto it = namespaces_.find(nsp.name());
        if (it == namespaces_.end() || it->second.get() != &nsp) return;
        gone = std::move(it->second);
        namespaces_.erase(it);
        --dynamic_live_;
        std::lock_guard child_lock(nsp.parent_->mu_);
        auto& kids = nsp.parent_->children_;
        kids.erase(std::remove_if(kids.begin(), kids.end(),
                                  [&](const std::weak_ptr<sio_namespace>& w) {
                                      auto c = w.lock();
                                      return !c || c.get() == &nsp;
                                  }),
                   kids.end());
    }
    log::debug("dynamic namespace {} removed (empty)", shown(nsp.name()));
}

std::size_t sio_server::emit(std::string_view event, const json::array& args) {
    auto root = find("/");
    return root ? root->emit(event, args) : 0;
}

std::size_t sio_server::emit_all_namespaces(std::string_view event, const json::array& args) {
    std::size_t n = 0;
    for (const auto& nsp : namespaces()) n += nsp->emit(event, args);
    return n;
}

std::vector<std::shared_ptr<sio_namespace>> sio_server::namespaces() {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<sio_namespace>> out;
    out.reserve(namespaces_.size());
    for (auto& [name, nsp] : namespaces_) out.push_back(nsp);
    return out;
}

}  // namespace beastio::server
