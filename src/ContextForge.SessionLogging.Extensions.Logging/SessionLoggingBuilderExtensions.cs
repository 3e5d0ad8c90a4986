using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ContextForge.SessionLogging.Extensions.Logging;

/// <summary><c>builder.Logging.AddSessionLogging()</c>.</summary>
public static class SessionLoggingBuilderExtensions
{
    /// <summary>
    /// Makes the app's ILogger output part of the current ContextForge session (<see cref="Sessions.Session.Current"/>,
    /// else the session named by <c>CFSESSION_ID</c>): each entry is journaled as <c>LogEntry</c> and emitted on the
    /// <c>ContextForge.UnifiedTelemetry</c> provider. Options come from <see cref="IOptions{TOptions}"/>, so
    /// <paramref name="configure"/>, a <c>services.Configure&lt;SessionLoggerOptions&gt;(...)</c> call and a second
    /// <c>AddSessionLogging</c> all apply; the provider is registered once.
    /// </summary>
    public static ILoggingBuilder AddSessionLogging(this ILoggingBuilder builder, Action<SessionLoggerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<SessionLoggerOptions>();
        if (configure is not null) builder.Services.Configure(configure);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, SessionLoggerProvider>(
            services => new SessionLoggerProvider(services.GetRequiredService<IOptions<SessionLoggerOptions>>().Value)));
        return builder;
    }
}
