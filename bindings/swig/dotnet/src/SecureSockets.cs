using N = Ssx.Interop.SsxNative;

namespace Ssx;

/// <summary>Facts about the native library the binding runs on.</summary>
public static class SecureSockets
{
    /// <summary>The run-time version of libssx.so (ssx_version()), e.g. "0.1.0".</summary>
    public static string NativeVersion => N.ssx_version();

    /// <summary>The symbolic name of an ssx code ("SSX_E_NAME_MISMATCH"; "SSX_E_UNKNOWN" for unknown values).</summary>
    public static string ErrorName(SecureSocketError code) => N.ssx_error_name((int)code);
}
