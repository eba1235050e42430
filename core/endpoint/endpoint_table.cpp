#include "endpoint/endpoint_table.hpp"

#include <sys/stat.h>

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
    static EndpointTable table;
    return table;
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
    return it->second;
}

void EndpointTable::insert(const std::shared_ptr<Endpoint>& endpoint) {
    Shard& s = shard_of(endpoint->fd);
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
    return endpoint;
}

void EndpointTable::refresh_identity(Endpoint& endpoint) {
    const SocketIdentity id = socket_identity(endpoint.fd);
    Shard& s = shard_of(endpoint.fd);
    std::lock_guard lock(s.mu);
    endpoint.identity = id;
}

}  // namespace ssx
