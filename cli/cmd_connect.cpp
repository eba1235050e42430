// `ssx connect ADDRESS --target-name NAME`: stdin to the peer, the peer to stdout, like
// `openssl s_client` with ssx semantics. At end of input only the sending side is closed
// (ssx_shutdown SHUT_WR) and everything the peer still sends is printed until it closes, so
// `printf 'GET / ...' | ssx connect ...` prints the whole answer. Status goes to stderr.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <thread>

#include "address.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "progress.hpp"
#include "pump.hpp"
#include "report.hpp"
#include "secure_socket.hpp"

namespace ssx::cli {

namespace {

struct ConnectOptions {
    std::string address;
    std::string target;
    bool quiet = false;
    SecurityOptions security;
};

void run_connect(const ConnectOptions& o) {
    Address address = parse_address(o.address);
    o.security.apply();
    progress("connecting to " + address.text() + "...");
    Socket s = connect_secured(address, o.target, o.security);
    if (!o.quiet) {
        std::cerr << "ssx: connected to " << address.text() << ": " << one_line(query_security(s.fd())) << std::endl;
    }

    // Two directions, two threads. The input thread waits on stdin and on `stop`, so it can be
    // ended when the peer closes first (the user may still be typing).
    CancelSignal stop;
    PumpResult sent;
    std::thread input([&] { sent = plain_to_secure(STDIN_FILENO, s.fd(), stop.fd()); });
    PumpResult received = secure_to_plain(s.fd(), STDOUT_FILENO);
    stop.fire();
    input.join();

    if (!received.ok) {
        throw Failure(received.ssx_code ? exit_for_ssx_code(received.ssx_code) : Exit::network,
                      received.error, received.ssx_code ? ssx_error_name(received.ssx_code) : "");
    }
    // The peer ended the conversation before taking all our input: that is the peer's choice (a
    // server that answers and closes), not a failure of this command; say so unless quiet.
    const bool peer_left = sent.ssx_code == SSX_E_PEER_CLOSED || sent.ssx_code == SSX_E_NOT_CONNECTED ||
                           sent.ssx_code == SSX_E_SHUT_DOWN;
    if (!sent.ok && !peer_left) {
        throw Failure(sent.ssx_code ? exit_for_ssx_code(sent.ssx_code) : Exit::network, sent.error,
                      sent.ssx_code ? ssx_error_name(sent.ssx_code) : "");
    }
    if (!sent.ok && !o.quiet) std::cerr << "ssx: the peer closed before reading all input (" << sent.error << ")\n";
    if (!o.quiet) std::cerr << "ssx: the peer closed the connection" << std::endl;
}

}  // namespace

void add_connect_command(CLI::App& app, Globals&) {
    auto o = std::make_shared<ConnectOptions>();
    CLI::App* cmd = app.add_subcommand(
        "connect", "Secured client: stdin to the peer, the peer to stdout, until the peer closes");
    cmd->add_option("ADDRESS", o->address, "HOST:PORT or [IPv6]:PORT")->required();
    cmd->add_option("--target-name", o->target,
                    "Identity the peer must prove: DNS name, IP, spiffe://... or URI (required unless the policy "
                    "makes names optional)")
        ->type_name("NAME");
    cmd->add_flag("-q,--quiet", o->quiet, "No status lines on stderr");
    o->security.add_to(*cmd);
    cmd->callback([o] { run_connect(*o); });
}

}  // namespace ssx::cli
