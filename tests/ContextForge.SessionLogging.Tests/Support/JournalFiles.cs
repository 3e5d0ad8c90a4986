using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Tests.Support;

/// <summary>Reads what a test recorded.</summary>
public static class JournalFiles
{
    public static IReadOnlyList<string> SessionIds(string dataDirectory) =>
        new DataDirectory(dataDirectory).EnumerateSessionIds().ToList();

    public static JournalReadResult ReadSession(string dataDirectory, string sessionId) =>
        JournalReader.ReadSession(new DataDirectory(dataDirectory).SessionDirectory(sessionId));

    public static SessionEvent Single(string dataDirectory, string eventName)
    {
        var events = SessionIds(dataDirectory).SelectMany(id => ReadSession(dataDirectory, id).Events).Where(e => e.Name == eventName).ToList();
        Assert.Single(events);
        return events[0];
    }
}
