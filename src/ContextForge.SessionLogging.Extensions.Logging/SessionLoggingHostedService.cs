using ContextForge.SessionLogging.Sessions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ContextForge.SessionLogging.Extensions.Logging;

/// <summary>
/// Starts the host's session when the host starts (named after the application, type <see cref="SessionType"/>) and
/// ends it when the host stops; while it runs it is the process's default <see cref="Session.Current"/>.
/// </summary>
internal sealed class SessionLoggingHostedService(SessionManager manager, IOptions<SessionLoggingOptions> options, IHostEnvironment? environment = null) : IHostedService
{
    /// <summary>The session type of a host's session.</summary>
    public const string SessionType = "service";

    private Session? _session;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = options.Value;
        _session = manager.Start(environment?.ApplicationName, SessionType);
        _session.MakeProcessDefault();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_session is { } session) await session.DisposeAsync().ConfigureAwait(false);
        _session = null;
    }
}
