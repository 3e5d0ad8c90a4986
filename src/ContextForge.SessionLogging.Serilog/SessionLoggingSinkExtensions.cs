using ContextForge.SessionLogging.Serilog;
using ContextForge.SessionLogging.Sessions;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;

// In Serilog's namespace, as Serilog's own sinks are, so WriteTo.SessionLogging() needs no extra using.
namespace Serilog;

/// <summary><c>new LoggerConfiguration().WriteTo.SessionLogging()</c>.</summary>
public static class SessionLoggingSinkExtensions
{
    /// <summary>Records log events in the current ContextForge session (or <paramref name="session"/>) as <c>LogEntry</c> events.</summary>
    /// <param name="sinkConfiguration">The logger's <c>WriteTo</c>.</param>
    /// <param name="restrictedToMinimumLevel">The lowest level passed to the sink; ignored when <paramref name="levelSwitch"/> is given.</param>
    /// <param name="levelSwitch">A switch that sets the lowest level at run time.</param>
    /// <param name="session">The session to record into; null means <see cref="Session.Current"/> for each event.</param>
    public static LoggerConfiguration SessionLogging(
        this LoggerSinkConfiguration sinkConfiguration,
        LogEventLevel restrictedToMinimumLevel = LogEventLevel.Verbose,
        LoggingLevelSwitch? levelSwitch = null,
        Session? session = null)
    {
        ArgumentNullException.ThrowIfNull(sinkConfiguration);
        return sinkConfiguration.Sink(new SessionLoggingSink(session), restrictedToMinimumLevel, levelSwitch);
    }
}
