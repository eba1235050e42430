using System;
using System.Runtime.InteropServices;
using N = Ssx.Interop.SsxNative;

namespace Ssx;

/// <summary>
/// The native ssx_token* of a <see cref="PeerToken"/>. The interop layer passes it to every native
/// call as a SafeHandle, so the runtime holds a reference for the duration of the call: a token
/// disposed on one thread is never freed under a call running on another. Released with
/// ssx_token_close() when disposed or finalized.
/// </summary>
internal sealed class TokenHandle : SafeHandle
{
    // The interop marshaller creates instances for returned tokens.
    public TokenHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        N.ssx_swig_token_close(handle);
        return true;
    }
}
