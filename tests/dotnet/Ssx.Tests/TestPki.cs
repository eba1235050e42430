using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using Ssx;

namespace Ssx.Tests;

/// <summary>
/// A throwaway development PKI in a temporary folder: ca.pem, and per identity NAME.pem (leaf then
/// CA) and NAME.key (mode 0600). Made with the ssx CLI (out/ssx pki) when it is built, else with
/// the openssl command (ECDSA P-256, SHA-256, serverAuth+clientAuth, the SANs asked for).
/// </summary>
public sealed class TestPki : IDisposable
{
    public TestPki(string caName = "ssx .NET test CA")
    {
        Dir = Directory.CreateTempSubdirectory("ssx-dotnet-pki-").FullName;
        if (File.Exists(SsxCli)) Run(SsxCli, "pki", "init", Dir, "--cn", caName);
        else
        {
            Run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", Path.Combine(Dir, "ca.key"));
            Run("openssl", "req", "-x509", "-new", "-key", Path.Combine(Dir, "ca.key"), "-sha256", "-days", "30",
                "-subj", "/CN=" + caName, "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", Ca);
        }
        Issue("server", dns: new[] { "server.test" }, ip: new[] { "127.0.0.1", "::1" }, uri: new[] { "spiffe://test/server" });
        Issue("client", dns: new[] { "client.test" }, uri: new[] { "spiffe://test/client" });
    }

    /// <summary>The ssx command next to the assemblies' out/ folder (out/dotnet/Ssx.Tests/../../ssx).</summary>
    public static string OutDir => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", ".."));
    public static string SsxCli => Path.Combine(OutDir, "ssx");

    public string Dir { get; }
    public string Ca => Path.Combine(Dir, "ca.pem");
    public string Cert(string name) => Path.Combine(Dir, name + ".pem");
    public string Key(string name) => Path.Combine(Dir, name + ".key");

    /// <summary>Per-socket settings presenting NAME and trusting <paramref name="trust"/>'s CA (default: this PKI).</summary>
    public SecuritySettings Settings(string name, TestPki? trust = null) => new()
    {
        CertificateFile = Cert(name),
        PrivateKeyFile = Key(name),
        TrustFile = (trust ?? this).Ca,
    };

    public void Issue(string name, string[]? dns = null, string[]? ip = null, string[]? uri = null)
    {
        dns ??= Array.Empty<string>();
        ip ??= Array.Empty<string>();
        uri ??= Array.Empty<string>();
        if (File.Exists(SsxCli))
        {
            var args = new List<string> { "pki", "issue", Dir, name };
            foreach (string d in dns) args.AddRange(new[] { "--dns", d });
            foreach (string i in ip) args.AddRange(new[] { "--ip", i });
            foreach (string u in uri) args.AddRange(new[] { "--uri", u });
            Run(SsxCli, args.ToArray());
            return;
        }
        var sans = new List<string>();
        foreach (string d in dns) sans.Add("DNS:" + d);
        foreach (string i in ip) sans.Add("IP:" + i);
        foreach (string u in uri) sans.Add("URI:" + u);
        string ext = Path.Combine(Dir, name + ".ext");
        File.WriteAllText(ext,
            "basicConstraints=critical,CA:FALSE\n" +
            "keyUsage=critical,digitalSignature\n" +
            "extendedKeyUsage=serverAuth,clientAuth\n" +
            "subjectKeyIdentifier=hash\n" +
            "authorityKeyIdentifier=keyid\n" +
            (sans.Count > 0 ? "subjectAltName=" + string.Join(",", sans) + "\n" : ""));
        string csr = Path.Combine(Dir, name + ".csr"), leaf = Path.Combine(Dir, name + ".leaf");
        Run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", Key(name));
        File.SetUnixFileMode(Key(name), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Run("openssl", "req", "-new", "-key", Key(name), "-subj", "/CN=" + name, "-out", csr);
        Run("openssl", "x509", "-req", "-in", csr, "-CA", Ca, "-CAkey", Path.Combine(Dir, "ca.key"), "-set_serial",
            "0x" + Convert.ToHexString(Guid.NewGuid().ToByteArray()), "-days", "30", "-sha256", "-extfile", ext, "-out", leaf);
        File.WriteAllText(Cert(name), File.ReadAllText(leaf) + File.ReadAllText(Ca));
    }

    private static void Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill();
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within 60 s");
        }
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}{stdout.Result}");
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
