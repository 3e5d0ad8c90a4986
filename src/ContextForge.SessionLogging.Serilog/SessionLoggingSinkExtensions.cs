using ContextForge.SessionLogging.Sessions;
using Serilog;
using Serilog.Configuration;
using Serilog.Events;

namespace ContextForge.SessionLogging.Serilog;

/// <summary><c>new LoggerConfiguration().WriteTo.SessionLogging()</c>.</summary>
public static class SessionLoggingSinkExtensions
{
    /// <summary>Records log events in the current ContextForge session (or <paramref name="session"/>).</summary>
    public static LoggerConfiguration SessionLogging(
        this LoggerSinkConfiguration sinkConfiguration,
        LogEventLevel restrictedToMinimumLevel = LogEventLevel.Verbose,
        Session? session = null)
    {
        ArgumentNullException.ThrowIfNull(sinkConfiguration);
        return sinkConfiguration.Sink(new SessionLoggingSink(session), restrictedToMinimumLevel);
    }
}
