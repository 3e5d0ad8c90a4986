using ContextForge.SessionLogging.Extensions.Logging;
using ContextForge.SessionLogging.Sessions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// In the DI namespace, as Microsoft's own AddXxx methods are, so services.AddSessionLogging() needs no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary><c>services.AddSessionLogging(o => ...)</c>: session logging for a generic host or any DI container.</summary>
public static class SessionLoggingServiceCollectionExtensions
{
    /// <summary>The configuration section <see cref="SessionLoggingOptions"/> is bound from.</summary>
    public const string ConfigurationSection = "SessionLogging";

    /// <summary>
    /// Registers a <see cref="SessionManager"/> (options from the <c>SessionLogging</c> configuration section, then
    /// <paramref name="configure"/>, then any <c>Configure&lt;SessionLoggingOptions&gt;</c> call), a hosted service that
    /// starts the host's session when the host starts and ends it when the host stops (the session is
    /// <see cref="Session.Current"/> for every flow of the process that has no session of its own), and the ILogger
    /// provider. Calling it again only adds <paramref name="configure"/>: nothing is registered twice.
    /// </summary>
    public static IServiceCollection AddSessionLogging(this IServiceCollection services, Action<SessionLoggingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(d => d.ServiceType == typeof(SessionLoggingMarker)))
        {
            services.AddSingleton<SessionLoggingMarker>();
            services.AddOptions<SessionLoggingOptions>();
            services.AddSingleton<IConfigureOptions<SessionLoggingOptions>, ConfigureFromConfiguration>();
            services.TryAddSingleton(provider => new SessionManager(provider.GetRequiredService<IOptions<SessionLoggingOptions>>().Value));
            services.AddHostedService<SessionLoggingHostedService>();
            services.AddLogging(logging => logging.AddSessionLogging());
        }
        if (configure is not null) services.Configure(configure);
        return services;
    }

    private sealed class SessionLoggingMarker;

    /// <summary>Binds the <c>SessionLogging</c> section when the container has a configuration (a generic host does; a bare ServiceCollection may not).</summary>
    private sealed class ConfigureFromConfiguration(IConfiguration? configuration = null) : IConfigureOptions<SessionLoggingOptions>
    {
        public void Configure(SessionLoggingOptions options) => configuration?.GetSection(ConfigurationSection).Bind(options);
    }
}
