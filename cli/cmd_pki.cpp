// `ssx pki init DIR` and `ssx pki issue DIR NAME ...`: a development CA and leaf certificates with
// a ready policy file, made with OpenSSL's library (core/pki/dev_pki.hpp). Development only.
#include <iostream>
#include <memory>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "commands.hpp"
#include "common/error.hpp"
#include "common/openssl_ptr.hpp"
#include "exit_codes.hpp"
#include "json.hpp"
#include "pki/dev_pki.hpp"
#include "report.hpp"

namespace ssx::cli {

namespace {

namespace fs = std::filesystem;

struct InitOptions {
    std::string dir;
    std::string common_name = "ssx development CA";
    int days = 365;
};

struct IssueOptions {
    std::string dir, name;
    std::vector<std::string> dns, ip, uri, email;
    bool client_only = false, server_only = false;
    int days = 365;
};

// The PKI reports bad input as SSX_E_INVALID_ARGUMENT (a usage problem); anything else (files,
// folders, OpenSSL) is a configuration problem of DIR.
[[noreturn]] void rethrow(const ssx::Error& e) {
    throw Failure(e.code() == SSX_E_INVALID_ARGUMENT ? Exit::usage : Exit::config, e.message(),
                  ssx::error_name(e.code()));
}

struct LeafFacts {
    std::string fingerprint, not_after;
};

// Reads back the certificate just written, so what we print is what is on disk.
LeafFacts read_leaf(const fs::path& pem) {
    ossl::Bio bio(BIO_new_file(pem.c_str(), "r"));
    ossl::X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!cert) throw Failure(Exit::internal, "cannot read back " + pem.string() + " after writing it");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(cert.get(), EVP_sha256(), md, &len);
    static const char hex[] = "0123456789ABCDEF";
    std::string fp;
    for (unsigned i = 0; i < len; ++i) fp += {hex[md[i] >> 4], hex[md[i] & 15]};
    std::tm tm{};
    char when[32] = "?";
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) == 1) {
        std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    }
    return {fp, when};
}

void run_init(const InitOptions& o, const Globals& g) {
    ssx::pki::CaOptions ca;
    ca.common_name = o.common_name;
    ca.valid_days = o.days;
    try {
        ssx::pki::init_ca(o.dir, ca);
    } catch (const ssx::Error& e) {
        rethrow(e);
    }
    fs::path dir = fs::absolute(o.dir);
    if (g.json) {
        std::cout << json::Value()
                         .set("ok", true)
                         .set("dir", dir.string())
                         .set("ca_certificate", (dir / "ca.pem").string())
                         .set("ca_key", (dir / "ca.key").string())
                         .dump()
                  << std::endl;
        return;
    }
    std::cout << "Created a development CA in " << dir.string() << "\n";
    row(std::cout, "ca.pem", "CA certificate: the trust anchor every peer of this PKI uses");
    row(std::cout, "ca.key", "CA private key (mode 0600): keep it secret; it signs new certificates");
    std::cout << "Next: ssx pki issue " << o.dir << " server --dns server.example --ip 127.0.0.1\n"
              << "Development only: use your organisation's CA in production.\n";
}

void run_issue(const IssueOptions& o, const Globals& g) {
    ssx::pki::LeafOptions leaf;
    leaf.name = o.name;
    leaf.dns = o.dns;
    leaf.ip = o.ip;
    leaf.uri = o.uri;
    leaf.email = o.email;
    leaf.server = !o.client_only;
    leaf.client = !o.server_only;
    leaf.not_after_offset = std::chrono::hours(24) * o.days;
    fs::path policy;
    try {
        ssx::pki::issue(o.dir, leaf);
        policy = ssx::pki::write_policy(o.dir, o.name);
    } catch (const ssx::Error& e) {
        rethrow(e);
    }
    fs::path dir = fs::absolute(o.dir);
    fs::path pem = dir / (o.name + ".pem"), key = dir / (o.name + ".key");
    policy = fs::absolute(policy);
    LeafFacts facts = read_leaf(pem);
    std::vector<std::string> names;
    for (const auto& d : o.dns) names.push_back("DNS:" + d);
    for (const auto& i : o.ip) names.push_back("IP:" + i);
    for (const auto& u : o.uri) names.push_back("URI:" + u);
    for (const auto& m : o.email) names.push_back("email:" + m);
    std::string usage = leaf.server && leaf.client ? "server and client" : leaf.server ? "server" : "client";

    if (g.json) {
        json::Value jnames = json::Array{};
        for (const auto& n : names) jnames.push(n);
        std::cout << json::Value()
                         .set("ok", true)
                         .set("name", o.name)
                         .set("certificate", pem.string())
                         .set("private_key", key.string())
                         .set("policy", policy.string())
                         .set("usage", usage)
                         .set("names", std::move(jnames))
                         .set("sha256", facts.fingerprint)
                         .set("not_after", facts.not_after)
                         .dump()
                  << std::endl;
        return;
    }
    std::cout << "Issued '" << o.name << "' (" << usage << " authentication), signed by " << (dir / "ca.pem").string()
              << "\n";
    row(std::cout, "certificate", pem.string() + " (leaf, then the CA)");
    row(std::cout, "private key", key.string() + " (mode 0600)");
    row(std::cout, "policy", policy.string());
    std::string joined;
    for (const auto& n : names) joined += (joined.empty() ? "" : ", ") + n;
    row(std::cout, "names", names.empty() ? "(none: peers cannot name it as a target; fine for a client)" : joined);
    row(std::cout, "sha256", facts.fingerprint);
    row(std::cout, "valid until", facts.not_after);
    if (leaf.server) {
        std::cout << "Use it: SSX_POLICY=" << policy.string() << " ssx serve 127.0.0.1:4433\n";
    } else {
        std::cout << "Use it: SSX_POLICY=" << policy.string()
                  << " ssx query 127.0.0.1:4433 --target-name <the server's name>\n";
    }
}

}  // namespace

void add_pki_command(CLI::App& app, Globals& globals) {
    CLI::App* pki = app.add_subcommand("pki", "Development PKI: a CA and certificates with a ready policy file");
    pki->require_subcommand(1);

    auto init = std::make_shared<InitOptions>();
    CLI::App* cmd = pki->add_subcommand("init", "Create a development CA (ca.pem, ca.key) in DIR");
    cmd->add_option("DIR", init->dir, "Folder for the CA (created, mode 0700, if missing)")->required();
    cmd->add_option("--cn", init->common_name, "Subject common name of the CA")->capture_default_str();
    cmd->add_option("--days", init->days, "Validity in days")->capture_default_str()->check(CLI::Range(1, 36500));
    cmd->add_flag("--json", globals.json, "Print the result as JSON");
    cmd->callback([init, &globals] { run_init(*init, globals); });

    auto issue = std::make_shared<IssueOptions>();
    cmd = pki->add_subcommand("issue",
                              "Issue NAME.pem/NAME.key signed by DIR's CA, and NAME.toml, a policy that uses them");
    cmd->add_option("DIR", issue->dir, "Folder holding the CA (from 'ssx pki init')")->required();
    cmd->add_option("NAME", issue->name, "File stem and subject CN ([A-Za-z0-9._-], up to 64)")->required();
    cmd->add_option("--dns", issue->dns, "DNS name SAN (repeatable)")->type_name("NAME");
    cmd->add_option("--ip", issue->ip, "IP address SAN (repeatable)")->type_name("ADDR");
    cmd->add_option("--uri", issue->uri, "URI SAN, e.g. spiffe://corp/db (repeatable)")->type_name("URI");
    cmd->add_option("--email", issue->email, "Email SAN (repeatable)")->type_name("ADDR");
    auto* client = cmd->add_flag("--client", issue->client_only, "Client authentication only (default: both)");
    auto* server = cmd->add_flag("--server", issue->server_only, "Server authentication only (default: both)");
    client->excludes(server);
    cmd->add_option("--days", issue->days, "Validity in days")->capture_default_str()->check(CLI::Range(1, 36500));
    cmd->add_flag("--json", globals.json, "Print the result as JSON");
    cmd->callback([issue, &globals] { run_issue(*issue, globals); });
}

}  // namespace ssx::cli
