#include "endpoint/endpoint_table.hpp"

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <new>

#include <array>
#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "common/error.hpp"
#include "ssx/ssx.h"

namespace ssx {

namespace {

constexpr size_t kShards = 64;

struct Shard {
    std::mutex mu;
    std::unordered_map<int, std::shared_ptr<Endpoint>> map;
};

std::array<Shard, kShards>& shards() {
    static std::array<Shard, kShards> s;
    return s;
}

Shard& shard_of(int fd) { return shards()[static_cast<size_t>(fd) % kShards]; }

std::atomic<uint64_t> g_fork_generation{0};

void after_fork_in_child() {
    g_fork_generation.fetch_add(1, std::memory_order_relaxed);
    // A fork can happen while another thread holds a shard lock; the child has only this thread.
    for (Shard& s : shards()) new (&s.mu) std::mutex();
}

// Endpoints inherited across fork() become unusable in the child, with a message saying why.
void disown_if_inherited(Endpoint& ep) {
    if (ep.fork_generation == g_fork_generation.load(std::memory_order_relaxed) || ep.inherited) return;
    ep.inherited = true;
    std::lock_guard lock(ep.mu);
    if (ep.state == EndpointState::secured || ep.state == EndpointState::handshaking ||
        ep.state == EndpointState::connecting) {
        ep.state = EndpointState::failed;
        ep.failure_code = SSX_E_NOT_SECURED;
        ep.failure = "this TLS session belongs to the parent process (pid " + std::to_string(::getppid()) +
                     "); a forked child cannot continue it without breaking the parent's session: close "
                     "the descriptor in the child with ssx_close() (which leaves the session alone), or "
                     "secure a new connection in the child";
    }
}

}  // namespace

SocketIdentity socket_identity(int fd) {
    struct stat st{};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
        fail(SSX_E_BAD_DESCRIPTOR, EBADF, "descriptor " + std::to_string(fd) + " is not open");
    }
    if (!S_ISSOCK(st.st_mode)) {
        fail(SSX_E_NOT_SOCKET, "descriptor " + std::to_string(fd) + " is not a socket");
    }
    return {st.st_dev, st.st_ino};
}

EndpointTable& EndpointTable::instance() {
    static EndpointTable* table = [] {
        ::pthread_atfork(nullptr, nullptr, after_fork_in_child);
        return new EndpointTable();
    }();
    return *table;
}

std::shared_ptr<Endpoint> EndpointTable::find(int fd) {
    const SocketIdentity id = socket_identity(fd);
    Shard& s = shard_of(fd);
    std::lock_guard lock(s.mu);
    auto it = s.map.find(fd);
    if (it == s.map.end()) return nullptr;
    if (!(it->second->identity == id)) {
        s.map.erase(it);  // the descriptor now names another socket
        return nullptr;
    }
    disown_if_inherited(*it->second);
    return it->second;
}

void EndpointTable::insert(const std::shared_ptr<Endpoint>& endpoint) {
    Shard& s = shard_of(endpoint->fd);
    endpoint->fork_generation = g_fork_generation.load(std::memory_order_relaxed);
    std::lock_guard lock(s.mu);
    s.map[endpoint->fd] = endpoint;
}

std::shared_ptr<Endpoint> EndpointTable::remove(int fd) {
    if (fd < 0) return nullptr;
    Shard& s = shard_of(fd);
    std::lock_guard lock(s.mu);
    auto it = s.map.find(fd);
    if (it == s.map.end()) return nullptr;
    auto endpoint = std::move(it->second);
    s.map.erase(it);
    disown_if_inherited(*endpoint);
    return endpoint;
}

void EndpointTable::refresh_identity(Endpoint& endpoint) {
    const SocketIdentity id = socket_identity(endpoint.fd);
    Shard& s = shard_of(endpoint.fd);
    std::lock_guard lock(s.mu);
    endpoint.identity = id;
}

}  // namespace ssx
