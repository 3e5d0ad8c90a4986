using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace ContextForge.SessionLogging.Extensions.Logging;

/// <summary><c>builder.Logging.AddSessionLogging()</c>.</summary>
public static class SessionLoggingBuilderExtensions
{
    /// <summary>
    /// Makes the app's ILogger output part of the current ContextForge session (<see cref="Sessions.Session.Current"/>,
    /// else the session named by <c>CFSESSION_ID</c>): each entry is journaled as <c>LogEntry</c> and emitted on the
    /// <c>ContextForge.UnifiedTelemetry</c> provider.
    /// </summary>
    public static ILoggingBuilder AddSessionLogging(this ILoggingBuilder builder, Action<SessionLoggerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new SessionLoggerOptions();
        configure?.Invoke(options);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, SessionLoggerProvider>(_ => new SessionLoggerProvider(options)));
        return builder;
    }
}
