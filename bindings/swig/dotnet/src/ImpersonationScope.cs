using System;
using System.Threading;
using N = Ssx.Interop.SsxNative;

namespace Ssx;

/// <summary>
/// An impersonation of a connection's peer, from <see cref="SecureSocketExtensions.ImpersonatePeer"/>;
/// <see cref="Dispose"/> reverts it. Use it with <c>using</c>.
/// </summary>
/// <remarks>
/// <para>
/// ssx impersonates per thread (ssx_impersonate_socket_peer changes the calling thread's principal
/// and, when the policy allows, its filesystem credentials). .NET code does not stay on one thread:
/// an <c>await</c> may continue on another, and the thread it left goes back to the pool. So the
/// scope belongs to the logical flow (the <see cref="ExecutionContext"/>), like
/// <c>WindowsIdentity.RunImpersonated</c> on Windows: whenever the flow arrives on a thread, the
/// binding impersonates the peer there; whenever it leaves a thread, the binding reverts there. The
/// result: code inside the scope always runs as the peer, whatever thread it is on, and no pool
/// thread ever keeps the peer's identity for unrelated work.
/// </para>
/// <para>
/// Work started inside the scope with the execution context (<c>Task.Run</c>, <c>new Thread</c>,
/// timers) runs as the peer too; work started with the context suppressed
/// (<see cref="ExecutionContext.SuppressFlow"/>, <c>UnsafeQueueUserWorkItem</c>) does not.
/// Dispose the scope in the flow that created it (the usual <c>using</c>): disposing it elsewhere,
/// or out of nesting order, throws <see cref="InvalidOperationException"/>.
/// </para>
/// <para>
/// The scope keeps ssx's descriptor of the socket open until it is disposed, so the peer can be
/// impersonated on another thread even after the socket was closed. If re-impersonating on a new
/// thread ever fails, the process is terminated (<see cref="Environment.FailFast(string)"/>) rather
/// than letting code that expects to run as the peer run as the service — as .NET does on Windows.
/// </para>
/// </remarks>
public sealed class ImpersonationScope : IDisposable
{
    // The innermost scope of the current logical flow; the handler keeps each thread's ssx
    // impersonation stack equal to the chain of scopes of the flow running on it.
    private static readonly AsyncLocal<ImpersonationScope?> s_current = new(OnFlowChanged);

    private readonly SecureDescriptor _descriptor;
    private readonly ImpersonationScope? _parent;
    private int _disposed;

    private ImpersonationScope(SecureDescriptor descriptor, ImpersonationScope? parent)
    {
        _descriptor = descriptor;
        _parent = parent;
    }

    internal static ImpersonationScope Begin(SecureDescriptor descriptor)
    {
        bool added = false;
        descriptor.DangerousAddRef(ref added);
        try
        {
            N.ssx_swig_impersonate(descriptor.Fd);
        }
        catch
        {
            descriptor.DangerousRelease();
            throw;
        }
        var scope = new ImpersonationScope(descriptor, s_current.Value);
        s_current.Value = scope; // an explicit change: the handler leaves this thread alone
        return scope;
    }

    /// <summary>Whether the current logical flow impersonates (through this binding).</summary>
    public static bool IsActive => s_current.Value != null;

    /// <summary>Reverts the impersonation (ssx_revert_impersonation) and ends the scope.</summary>
    /// <exception cref="InvalidOperationException">The scope is not the innermost one of the current flow.</exception>
    /// <exception cref="SecureSocketException">
    /// Restoring the thread's credentials failed (<see cref="SecureSocketError.OSCredentials"/>); the
    /// thread still partly acts as the peer and the process should be terminated.
    /// </exception>
    public void Dispose()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        if (!ReferenceEquals(s_current.Value, this))
        {
            throw new InvalidOperationException(
                "this impersonation scope is not the innermost one of the current logical flow: dispose scopes in the " +
                "flow that created them (with using), innermost first");
        }
        N.ssx_revert_impersonation();
        s_current.Value = _parent; // explicit: the revert above already matched this thread
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _descriptor.DangerousRelease();
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>
    /// A scope that was never disposed: its flows are gone (the binding reverted every thread they
    /// left); only the socket descriptor it kept open is released.
    /// </summary>
    ~ImpersonationScope()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _descriptor.DangerousRelease();
    }

    private static int Depth(ImpersonationScope? scope)
    {
        int depth = 0;
        for (; scope != null; scope = scope._parent) depth++;
        return depth;
    }

    // Runs on a thread whenever the flow running on it changes (ThreadContextChanged), including
    // when a flow leaves it. Explicit changes (Begin, Dispose) did their native work themselves.
    private static void OnFlowChanged(AsyncLocalValueChangedArgs<ImpersonationScope?> args)
    {
        if (!args.ThreadContextChanged) return;
        ImpersonationScope? previous = args.PreviousValue, current = args.CurrentValue;
        if (ReferenceEquals(previous, current)) return;
        try
        {
            for (int i = Depth(previous); i > 0; i--) N.ssx_revert_impersonation();
            Push(current);
        }
        catch (Exception e)
        {
            Environment.FailFast(
                "ssx: the impersonation of a logical flow could not be moved to this thread; terminating rather than " +
                "running code as the wrong identity: " + e.Message, e);
        }
    }

    // Impersonates the chain outermost first, so the thread's stack matches the flow's.
    private static void Push(ImpersonationScope? scope)
    {
        if (scope == null) return;
        Push(scope._parent);
        N.ssx_swig_impersonate(scope._descriptor.Fd);
    }
}
