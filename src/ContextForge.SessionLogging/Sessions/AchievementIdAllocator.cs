using System.Globalization;

namespace ContextForge.SessionLogging.Sessions;

/// <summary>
/// Allocates achievement ids <c>ACH-{first 8 of the session id}-{NNN}</c>: NNN counts 001, 002, ... per session across
/// every process recording into it, by creating the number's file exclusively (never by counting lines, which two
/// processes could do at once).
/// </summary>
internal static class AchievementIdAllocator
{
    public static string Allocate(DataDirectory data, string sessionId)
    {
        int number = AllocateNumber(data.AchievementCounterDirectory(sessionId));
        return string.Create(CultureInfo.InvariantCulture, $"ACH-{sessionId[..8]}-{number:D3}");
    }

    internal static int AllocateNumber(string directory)
    {
        FileSecurity.CreatePrivateDirectory(directory);
        int next = 1;
        foreach (string file in Directory.EnumerateFiles(directory))
        {
            if (int.TryParse(Path.GetFileName(file), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= next) next = n + 1;
        }
        while (true)
        {
            string path = Path.Combine(directory, next.ToString("D3", CultureInfo.InvariantCulture));
            try
            {
                using (FileSecurity.CreateNewPrivateFile(path)) { }
                return next;
            }
            catch (IOException) when (File.Exists(path))
            {
                next++; // another process took this number first
            }
        }
    }
}
