using System.Runtime.InteropServices;

namespace ContextForge.SessionLogging.Capture.Unix;

/// <summary>
/// Keeps this process alive through SIGINT, SIGQUIT, SIGTERM and SIGHUP while a child runs, and hands the ones in
/// <c>forwarded</c> on to the child. Created before the spawn, so a signal that arrives while the child starts (a
/// child may signal its parent at once) is neither fatal nor lost: it is forwarded once the child is attached.
/// </summary>
internal sealed class SignalForwarder : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly List<int> _pending = [];
    private UnixChild? _child;

    /// <param name="forwarded">The signals to pass on (as native numbers); the others are only kept from killing us.</param>
    public SignalForwarder(params int[] forwarded)
    {
        foreach (var (signal, native) in new[]
                 {
                     (PosixSignal.SIGINT, LibC.SIGINT), (PosixSignal.SIGQUIT, LibC.SIGQUIT),
                     (PosixSignal.SIGTERM, LibC.SIGTERM), (PosixSignal.SIGHUP, LibC.SIGHUP),
                 })
        {
            bool forward = forwarded.Contains(native);
            _registrations.Add(PosixSignalRegistration.Create(signal, ctx =>
            {
                ctx.Cancel = true;
                if (forward) Forward(native);
            }));
        }
    }

    /// <summary>The child to forward to from now on; signals that came before are sent now.</summary>
    public void Attach(UnixChild child)
    {
        int[] pending;
        lock (_lock)
        {
            _child = child;
            pending = [.. _pending];
            _pending.Clear();
        }
        foreach (int signal in pending) child.Signal(signal);
    }

    private void Forward(int signal)
    {
        UnixChild? child;
        lock (_lock)
        {
            child = _child;
            if (child is null)
            {
                _pending.Add(signal);
                return;
            }
        }
        child.Signal(signal);
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
