using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Cli.Performance;

/// <summary>
/// A way of listening to the <c>ContextForge.SessionLogging</c> provider while captures are measured: starting it
/// returns a live listener; disposing it stops listening. The CLI adds an EventPipe session on its own process.
/// </summary>
/// <param name="Name">The variant's name in reports, e.g. <c>event_listener</c>.</param>
/// <param name="StartAsync">Starts listening; completes once the provider is enabled for every keyword.</param>
internal sealed record ProviderListenerVariant(string Name, Func<CancellationToken, Task<IAsyncDisposable>> StartAsync)
{
    /// <summary>An in-process <see cref="EventListener"/> enabling the provider at Verbose for all keywords.</summary>
    public static ProviderListenerVariant EventListener { get; } = new("event_listener", _ =>
        Task.FromResult<IAsyncDisposable>(new CountingProviderListener()));

    /// <summary>Waits (up to <paramref name="timeout"/>) until the provider is enabled for all its keywords.</summary>
    public static async Task WaitUntilProviderEnabledAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!SessionLoggingEventSource.Log.IsEnabled(EventLevel.Informational, EventKeywords.All))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the provider was not enabled within {timeout.TotalSeconds:0} s");
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Enables <c>ContextForge.SessionLogging</c> in this process and counts the events it receives.</summary>
internal sealed class CountingProviderListener : EventListener, IAsyncDisposable
{
    private long _events;

    /// <summary>Events received so far.</summary>
    public long EventCount => Interlocked.Read(ref _events);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == SessionLoggingEventSource.ProviderName) EnableEvents(eventSource, EventLevel.Verbose, EventKeywords.All);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData) => Interlocked.Increment(ref _events);

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
