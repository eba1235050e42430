// The benchmark harness shared by every C/C++ benchmark program: one scenario implementation,
// written once against a small Transport interface, so plain TCP, raw OpenSSL and ssx run exactly
// the same exchange and differ only in the calls that move bytes.
//
// Every scenario runs the server in a forked child and the client in the parent, each pinned with
// sched_setaffinity to the CPUs of the placement ("same": both on one CPU; "split": one CPU each).
// A program prints one JSON object on stdout (the driver, bench/run.py, collects them) and exits 0;
// any failure (including a byte that did not arrive) prints a message on stderr and exits 1.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace bench {

// Command line: PROGRAM SCENARIO [--key value | --flag]...
class Args {
public:
    Args(int argc, char** argv);
    const std::string& scenario() const { return scenario_; }
    std::string get(const std::string& key, const std::string& fallback = "") const;
    long number(const std::string& key, long fallback) const;
    double real(const std::string& key, double fallback) const;
    bool flag(const std::string& key) const { return values_.count(key) != 0; }

private:
    std::string scenario_;
    std::map<std::string, std::string> values_;
};

[[noreturn]] void die(const std::string& message);

// One established connection.
class Conn {
public:
    virtual ~Conn() = default;
    virtual void send_all(const void* buf, size_t len) = 0;
    virtual size_t recv_some(void* buf, size_t len) = 0;  // 0 = the peer's orderly end
    virtual void close() = 0;                             // idempotent
    virtual bool resumed() const { return false; }
    // ns per ssx_query_socket_security() call (ssx only; < 0 elsewhere).
    virtual double query_cost_ns(long /*iterations*/) { return -1; }
};

class Transport {
public:
    virtual ~Transport() = default;
    // Once per process, before any connection: contexts, credentials (args: --pki DIR, ...).
    virtual void setup(bool server, const Args& args) = 0;
    // Called on the listening socket before bind (ssx secures it there).
    virtual void prepare_listener(int /*fd*/) {}
    virtual std::unique_ptr<Conn> accept(int listen_fd) = 0;
    virtual std::unique_ptr<Conn> connect(const sockaddr_in& server) = 0;
};

// Runs the scenario named on the command line with `transport`; returns the exit status.
int run(Transport& transport, int argc, char** argv);

}  // namespace bench
