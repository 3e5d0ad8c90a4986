using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Extensions.Logging;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ContextForge.SessionLogging.Tests.Logging;

/// <summary><c>services.AddSessionLogging(...)</c> in a real generic host, as a .NET developer would use it.</summary>
[Collection("Console")]
public sealed class DependencyInjectionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_generic_host_records_its_session_from_start_to_stop_with_logs_from_any_flow()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "orders-api", DisableDefaults = true });
        builder.Services.AddSessionLogging(o => { o.DataDirectory = _dir.Path; o.EmitToProvider = false; });
        string id;
        using (var host = builder.Build())
        {
            await host.StartAsync();
            id = Session.Current!.Id;
            var logger = host.Services.GetRequiredService<ILogger<DependencyInjectionTests>>();
            // A flow that did not start the session still records into it.
            await Task.Run(() => logger.LogWarning("disk at {Percent} %", 91), CancellationToken.None);
            await host.StopAsync();
        }

        var events = JournalFiles.ReadSession(_dir.Path, id).Events;
        // SessionStart first, SessionEnd last, and between them log entries only: ours and the host's own lifetime logs.
        Assert.Equal(SessionEventNames.SessionStart, events[0].Name);
        Assert.Equal(SessionEventNames.SessionEnd, events[^1].Name);
        Assert.All(events.Skip(1).SkipLast(1), e => Assert.Equal("LogEntry", e.Name));
        Assert.Equal("orders-api", events[0].GetString(JournalFields.SessionName));
        Assert.Equal(SessionLoggingHostedService.SessionType, events[0].GetString(JournalFields.SessionType));
        Assert.Single(events, e => e.GetString("message") == "disk at 91 %");
        Assert.Equal(0, (await InProcessCli.RunAsync(_dir.Path, null, "validate", id)).ExitCode);
        Assert.Null(Session.Current);
    }

    [Fact]
    public void Options_bind_from_the_SessionLogging_section_and_a_Configure_call_is_honoured()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration["SessionLogging:DataDirectory"] = _dir.Path;
        builder.Configuration["SessionLogging:Redact"] = "false";
        builder.Services.AddSessionLogging();
        builder.Services.Configure<SessionLoggingOptions>(o => o.ToolName = "orders-api");
        using var host = builder.Build();

        var manager = host.Services.GetRequiredService<SessionManager>();
        Assert.Equal(Path.GetFullPath(_dir.Path), Path.GetFullPath(manager.Data.Root));
        Assert.False(manager.Options.Redact);
        Assert.Equal("orders-api", manager.Options.ToolName);
    }

    [Fact]
    public void Calling_AddSessionLogging_twice_registers_everything_once_and_applies_both_configurations()
    {
        var services = new ServiceCollection();
        services.AddSessionLogging(o => o.DataDirectory = _dir.Path);
        services.AddSessionLogging(o => o.ToolName = "second");

        Assert.Single(services, d => d.ServiceType == typeof(SessionManager));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
        Assert.Single(services, d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(SessionLoggerProvider)
            || d.ServiceType == typeof(ILoggerProvider) && d.ImplementationFactory is not null);
        using var provider = services.BuildServiceProvider();
        var manager = provider.GetRequiredService<SessionManager>();
        Assert.Equal("second", manager.Options.ToolName);
        Assert.Equal(Path.GetFullPath(_dir.Path), Path.GetFullPath(manager.Data.Root));
    }

    [Fact]
    public async Task Configure_of_SessionLoggerOptions_reaches_the_logger_provider()
    {
        using var session = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false }).Start("fixed");
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSessionLogging());
        services.Configure<SessionLoggerOptions>(o => o.Session = session);
        using (var provider = services.BuildServiceProvider())
        {
            var logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("C");
            // A flow with no current session (the context does not flow): only the configured session can receive it.
            Task log;
            using (ExecutionContext.SuppressFlow()) log = Task.Run(() => logger.LogInformation("to the configured session"));
            await log;
        }

        Assert.Contains(JournalFiles.ReadSession(_dir.Path, session.Id).Events, e => e.Name == "LogEntry" && e.GetString("message") == "to the configured session");
    }
}
