using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Extensions.Logging;
using ContextForge.SessionLogging.Serilog;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Context;

namespace ContextForge.SessionLogging.Tests.Logging;

/// <summary>ILogger (through <c>AddSessionLogging</c>) and Serilog (through <c>WriteTo.SessionLogging</c>) entries in the journal.</summary>
public sealed class LoggingIntegrationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private SessionManager Manager() => new(new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false });

    [Fact]
    public void ILogger_entries_are_journaled_with_category_level_event_id_template_state_scopes_and_exception()
    {
        using var session = Manager().Start();
        using (var services = new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Debug).AddSessionLogging()).BuildServiceProvider())
        {
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Orders.Checkout");
            using (logger.BeginScope(new Dictionary<string, object?> { ["RequestId"] = "req-1", ["Attempt"] = 2 }))
            using (logger.BeginScope("outer {Tenant}", "acme"))
            {
                logger.LogInformation(new EventId(7, "OrderPlaced"), "Placed order {OrderId} for {Amount} at {When}", 1234, 99.5, new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc));
            }
            logger.LogError(new InvalidOperationException("disk full"), "Saving {File} failed", "orders.db");
            logger.LogTrace("not journaled: below the minimum level");
        }

        var entries = JournalFiles.ReadSession(_dir.Path, session.Id).Events.Where(e => e.Name == SessionLoggerProvider.LogEntryEventName).ToList();
        Assert.Equal(2, entries.Count);
        var placed = entries[0];
        Assert.Equal(EventLevel.Informational, placed.Level);
        Assert.Equal("Microsoft.Extensions.Logging", placed.GetString("log_source"));
        Assert.Equal("Orders.Checkout", placed.GetString("category"));
        Assert.Equal("Information", placed.GetString("log_level"));
        Assert.Equal(7, placed.GetInt64("event_id"));
        Assert.Equal("OrderPlaced", placed.GetString("event_name"));
        Assert.Equal("Placed order 1234 for 99.5 at 01/02/2026 00:00:00", placed.GetString("message"));
        Assert.Equal("Placed order {OrderId} for {Amount} at {When}", placed.GetString("message_template"));
        Assert.Equal(1234, placed.GetInt64("OrderId"));
        Assert.Equal(99.5, placed.GetDouble("Amount"));
        Assert.Equal("2026-01-02T00:00:00.0000000Z", placed.GetString("When"));
        Assert.Equal("req-1", placed.GetString("RequestId"));
        Assert.Equal(2, placed.GetInt64("Attempt"));
        Assert.Equal("acme", placed.GetString("Tenant"));
        Assert.Equal("RequestId:req-1, Attempt:2 => outer acme", placed.GetString("scopes"));

        var failed = entries[1];
        Assert.Equal(EventLevel.Error, failed.Level);
        Assert.Equal("orders.db", failed.GetString("File"));
        Assert.Equal("System.InvalidOperationException", failed.GetString("exception_type"));
        Assert.Equal("disk full", failed.GetString("exception_message"));
        Assert.StartsWith("System.InvalidOperationException: disk full", failed.GetString("exception"));
        Assert.Null(failed.GetString("scopes"));
    }

    [Fact]
    public void ILogger_entries_also_go_to_the_unified_provider_at_the_mapped_level()
    {
        using var session = Manager().Start();
        using var listener = new RecordingEventListener(UnifiedTelemetry.ProviderName, EventLevel.Verbose, (EventKeywords)0x1);
        using (var factory = LoggerFactory.Create(b => b.AddSessionLogging(o => o.Session = session)))
        {
            factory.CreateLogger("Cat").LogWarning("Low disk {Percent}", 3);
        }

        var e = Assert.Single(listener.Named(SessionLoggerProvider.LogEntryEventName), e => TracePayload.Flatten(e.PayloadNames!, e.Payload!).Any(f => f.Key == "Percent"));
        Assert.Equal(EventLevel.Warning, e.Level);
        var fields = TracePayload.Flatten(e.PayloadNames!, e.Payload!).ToDictionary(f => f.Key, f => f.Value);
        Assert.Equal(3L, fields["Percent"]);
        Assert.Equal("Low disk {Percent}", fields["message_template"]);
    }

    [Fact]
    public async Task ILogger_joins_the_session_to_join_when_there_is_no_current_one()
    {
        string id;
        using (var owner = Manager().Start()) { id = owner.Id; owner.Capture("x", _ => { }); }
        // A fresh async flow with no current session, as in an app started by cfsession run.
        await Task.Run(() =>
        {
            Assert.Null(Session.Current);
            // JoinSessionId stands in for CFSESSION_ID (the default), without changing this test process's environment.
            using var provider = new SessionLoggerProvider(new SessionLoggerOptions { DataDirectory = _dir.Path, JoinSessionId = id[..8] });
            provider.CreateLogger("App").LogInformation("hello {Name}", "world");
        });

        var entry = Assert.Single(JournalFiles.ReadSession(_dir.Path, id).Events, e => e.Name == "LogEntry");
        Assert.Equal("world", entry.GetString("Name"));
    }

    [Fact]
    public void Serilog_events_are_journaled_with_message_template_rendered_message_and_typed_properties()
    {
        using var session = Manager().Start();
        using (var log = new LoggerConfiguration()
            .MinimumLevel.Debug()
            .Enrich.FromLogContext()
            .Enrich.WithProperty("Component", "billing")
            .WriteTo.SessionLogging()
            .CreateLogger())
        {
            using (LogContext.PushProperty("RequestId", "req-9"))
            {
                log.Information("Processed {Count} items in {Elapsed} ms for {@Customer}", 3, 12.5, new { Name = "Ada", Tier = 2 });
            }
            log.Warning(new TimeoutException("slow"), "Gave up after {Tries} tries, ok={Ok}", 4, false);
        }

        var entries = JournalFiles.ReadSession(_dir.Path, session.Id).Events.Where(e => e.Name == SessionLoggingSink.LogEntryEventName).ToList();
        Assert.Equal(2, entries.Count);
        var processed = entries[0];
        Assert.Equal("Serilog", processed.GetString("log_source"));
        Assert.Equal("Information", processed.GetString("log_level"));
        Assert.Equal("Processed {Count} items in {Elapsed} ms for {@Customer}", processed.GetString("message_template"));
        Assert.Equal("Processed 3 items in 12.5 ms for { Name: \"Ada\", Tier: 2 }", processed.GetString("message"));
        Assert.Equal(3, processed.GetInt64("Count"));
        Assert.Equal(12.5, processed.GetDouble("Elapsed"));
        Assert.Equal("{ Name: \"Ada\", Tier: 2 }", processed.GetString("Customer"));
        Assert.Equal("billing", processed.GetString("Component"));
        Assert.Equal("req-9", processed.GetString("RequestId"));

        var gaveUp = entries[1];
        Assert.Equal(EventLevel.Warning, gaveUp.Level);
        Assert.Equal(4, gaveUp.GetInt64("Tries"));
        Assert.False(gaveUp.Fields["Ok"]!.GetValue<bool>());
        Assert.Equal("System.TimeoutException", gaveUp.GetString("exception_type"));
        Assert.Equal("slow", gaveUp.GetString("exception_message"));
    }

    [Fact]
    public void Serilog_sink_honours_a_level_switch_changed_at_run_time()
    {
        using var session = Manager().Start();
        var levels = new global::Serilog.Core.LoggingLevelSwitch(global::Serilog.Events.LogEventLevel.Warning);
        using (var log = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.SessionLogging(levelSwitch: levels, session: session).CreateLogger())
        {
            log.Information("dropped while the switch says Warning");
            log.Warning("kept {N}", 1);
            levels.MinimumLevel = global::Serilog.Events.LogEventLevel.Information;
            log.Information("kept {N}", 2);
        }

        var messages = JournalFiles.ReadSession(_dir.Path, session.Id).Events.Where(e => e.Name == "LogEntry").Select(e => e.GetString("message")).ToList();
        Assert.Equal(["kept 1", "kept 2"], messages);
    }

    [Fact]
    public async Task Without_a_session_the_sink_and_logger_record_nothing_and_do_not_throw()
    {
        await Task.Run(() =>
        {
            using var log = new LoggerConfiguration().WriteTo.SessionLogging().CreateLogger();
            log.Information("nowhere {X}", 1);
            using var provider = new SessionLoggerProvider(new SessionLoggerOptions { JoinSessionFromEnvironment = false });
            provider.CreateLogger("C").LogInformation("nowhere");
        });
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.Path));
    }
}
