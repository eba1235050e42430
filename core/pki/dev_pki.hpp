// A development PKI made with OpenSSL's library (not the openssl command): a CA and leaf
// certificates (ECDSA P-256, SHA-256) with the SANs asked for, plus a ready policy file. For the
// demo, the tests and `ssx pki`; never for production (docs/cli.md says so).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace ssx::pki {

struct CaOptions {
    std::string common_name = "ssx development CA";
    int valid_days = 365;
};

// Creates DIR (mode 0700 if new, parents too; an existing folder keeps its mode) with ca.pem
// (0644) and ca.key (unencrypted PKCS#8 PEM, created 0600 with O_EXCL: never readable by others,
// never overwritten). The CA: ECDSA P-256, self-signed with SHA-256, random 128-bit serial,
// subject CN = common_name (1..64 bytes of UTF-8), basicConstraints critical CA:TRUE pathlen:0,
// keyUsage critical keyCertSign+cRLSign, subjectKeyIdentifier, valid now-5min .. now+valid_days.
// Errors (ssx::Error): SSX_E_INVALID_ARGUMENT "DIR already holds a CA (ca.key); choose another
// folder or delete it" (also for a lone ca.key or a symlink named ca.key), bad common_name,
// valid_days outside 1..36500, DIR not a folder; SSX_E_IO naming the path and strerror(errno).
// Safe to call concurrently on one DIR: exactly one call succeeds.
void init_ca(const std::filesystem::path& dir, const CaOptions& options = {});

struct LeafOptions {
    std::string name;                 // file stem and subject CN: writes NAME.pem and NAME.key
    std::vector<std::string> dns;     // DNS SANs
    std::vector<std::string> ip;      // IP SANs (v4 or v6 text)
    std::vector<std::string> uri;     // URI SANs (e.g. spiffe://corp/db)
    std::vector<std::string> email;   // rfc822 SANs
    bool server = true;               // extendedKeyUsage serverAuth
    bool client = true;               // extendedKeyUsage clientAuth
    // Validity relative to now (tests make expired / not-yet-valid certificates with these).
    std::chrono::seconds not_before_offset{-300};
    std::chrono::seconds not_after_offset{std::chrono::hours(24 * 365)};
    bool is_ca = false;               // for tests of the SVID rules (a CA certificate as a leaf)
};

// Issues a leaf signed by DIR's CA: NAME.pem (leaf then CA certificate) and NAME.key (PKCS#8
// PEM, 0600), each written to a temporary file and renamed (an existing NAME is replaced; the
// pair is written under a folder lock). The leaf: ECDSA P-256, SHA-256, random 128-bit serial,
// subject CN = NAME, subjectAltName with exactly the dns/ip/uri/email given, in that order (no
// extension if all are empty), basicConstraints critical CA:FALSE (CA:TRUE without pathlen if
// is_ca), keyUsage critical digitalSignature (+keyCertSign if is_ca), extendedKeyUsage
// serverAuth/clientAuth per the flags (no extension if both are false), subjectKeyIdentifier,
// authorityKeyIdentifier = the CA's key id.
// Errors: SSX_E_INVALID_ARGUMENT (bad name — must be [A-Za-z0-9._-]{1,64}, not starting with
// '.', not "ca" in any case; DNS not LDH labels (one '*' allowed in the leftmost label); IP not
// accepted by inet_pton; URI without a scheme; email not local@domain; not_after_offset <=
// not_before_offset or an offset beyond 100 years; no CA in DIR; ca.pem/ca.key unreadable as PEM
// or not a pair), SSX_E_IO (path and strerror), SSX_E_INTERNAL (OpenSSL failed; its message).
// Nothing is written when the input is refused.
void issue(const std::filesystem::path& dir, const LeafOptions& options);

// Writes DIR/NAME.toml (0644, replaced atomically): a comment, then
//   [tls]
//   certificate = "NAME.pem"
//   private_key = "NAME.key"
//   trust_anchors = "ca.pem"
// (relative: the policy loader resolves them against the file's folder), then extra_toml
// verbatim (bare keys land in [tls]; other tables may follow) plus a final newline if missing.
// For use with SSX_POLICY. Returns DIR/NAME.toml. Does not check that NAME.pem exists.
// Errors: SSX_E_INVALID_ARGUMENT (bad NAME, same rule as issue), SSX_E_IO (e.g. DIR missing).
std::filesystem::path write_policy(const std::filesystem::path& dir, const std::string& name,
                                   const std::string& extra_toml = "");

}  // namespace ssx::pki
