// A small app that uses every integration of issue 5. Run it under `cfsession run -- dotnet SessionLoggingSample.dll`
// (it joins that session through CFSESSION_ID and TRACEPARENT) or alone (it starts a session of its own).
// It prints JSON lines: the session it recorded into, then each span OpenTelemetry exported.
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Text.Json;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Extensions.Logging;
using ContextForge.SessionLogging.Serilog;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Serilog;

var exported = new List<Activity>();
var sampleSource = new ActivitySource("SessionLoggingSample");
using var tracing = Sdk.CreateTracerProviderBuilder()
    .AddSessionLoggingInstrumentation()
    .AddSource(sampleSource.Name)
    .AddInMemoryExporter(exported)
    .Build();

// Join the session we run in (cfsession run / cfsession start), or start one.
var manager = new SessionManager();
string? inherited = Environment.GetEnvironmentVariable(SessionEnvironment.SessionId);
Session session = inherited is { Length: > 0 } ? manager.Join(inherited) : manager.Start("sample");

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.ClearProviders();
builder.Logging.AddSessionLogging();
using (IHost host = builder.Build())
using (var serilog = new LoggerConfiguration().Enrich.WithProperty("Component", "sample").WriteTo.SessionLogging().CreateLogger())
using (var work = sampleSource.StartActivity("sample.work"))
{
    var logger = host.Services.GetRequiredService<ILogger<Program>>();
    using (logger.BeginScope(new Dictionary<string, object?> { ["RequestId"] = "req-42" }))
    {
        logger.LogInformation(new EventId(7, "OrderPlaced"), "Placed order {OrderId} for {Amount}", 1234, 99.5);
    }
    try
    {
        throw new InvalidOperationException("disk full");
    }
    catch (InvalidOperationException ex)
    {
        logger.LogError(ex, "Saving {File} failed", "orders.db");
    }
    serilog.Information("Processed {Count} items in {Elapsed} ms", 3, 12.5);

    UnifiedTelemetry.LogSessionEvent("SampleCheckpoint", new Dictionary<string, object?>
    {
        ["step"] = "checkout",
        ["items"] = 3,
        ["total"] = 99.5,
        ["paid"] = true,
        ["at"] = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        ["order_guid"] = new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"),
    });
    UnifiedTelemetry.LogAchievementMilestone("sample_done", new Dictionary<string, object?> { ["orders"] = 1 });

    session.LogEvent("SampleTrace", EventLevel.Informational, new Dictionary<string, object?>
    {
        ["observed_trace_id"] = work?.TraceId.ToHexString(),
        ["observed_span_id"] = work?.SpanId.ToHexString(),
    });
}

string sessionId = session.Id;
string traceId = session.TraceId.ToHexString();
session.Dispose(); // stops the session's activity, so it is exported too
tracing.ForceFlush();

Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string?>
{
    ["session_id"] = sessionId,
    ["session_trace_id"] = traceId,
    ["traceparent"] = Environment.GetEnvironmentVariable(SessionEnvironment.TraceParent),
}));
foreach (var a in exported)
{
    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["span"] = a.DisplayName,
        ["source"] = a.Source.Name,
        ["trace_id"] = a.TraceId.ToHexString(),
        ["span_id"] = a.SpanId.ToHexString(),
        ["parent_span_id"] = a.ParentSpanId.ToHexString(),
    }));
}
