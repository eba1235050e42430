// `ssx query ADDRESS --target-name NAME`: connect, secure, print everything the query and the
// peer's certificate say, and close. A security failure is the answer too: a precise reason and a
// non-zero exit code (docs/cli.md).
#include <iostream>
#include <memory>

#include "address.hpp"
#include "commands.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "secure_socket.hpp"

namespace ssx::cli {

namespace {

struct QueryOptions {
    std::string address;
    std::string target;
    SecurityOptions security;
};

void run_query(const QueryOptions& o, const Globals& g) {
    Address address = parse_address(o.address);
    o.security.apply();
    progress("connecting to " + address.text() + "...");
    Socket s = connect_secured(address, o.target, o.security);
    SecurityReport report = query_security(s.fd());
    if (g.json) {
        std::cout << json::Value()
                         .set("ok", true)
                         .set("address", address.text())
                         .set("local_address", local_address(s.fd()))
                         .set("target_name", o.target.empty() ? json::Value() : json::Value(o.target))
                         .set("connection", to_json(report))
                         .dump()
                  << std::endl;
        return;
    }
    std::cout << "Connected to " << address.text() << " from " << local_address(s.fd());
    if (!o.target.empty()) std::cout << "; the peer proved '" << o.target << "'";
    std::cout << ".\n";
    print_report(std::cout, report, true);
}

}  // namespace

void add_query_command(CLI::App& app, Globals& globals) {
    auto o = std::make_shared<QueryOptions>();
    CLI::App* cmd = app.add_subcommand("query", "Connect, print the negotiated security and the peer's identity, close");
    cmd->add_option("ADDRESS", o->address, "HOST:PORT or [IPv6]:PORT")->required();
    cmd->add_option("--target-name", o->target,
                    "Identity the peer must prove: DNS name, IP, spiffe://... or URI (required unless the policy "
                    "makes names optional)")
        ->type_name("NAME");
    o->security.add_to(*cmd);
    cmd->add_flag("--json", globals.json, "Print the result as JSON");
    cmd->callback([o, &globals] { run_query(*o, globals); });
}

}  // namespace ssx::cli
