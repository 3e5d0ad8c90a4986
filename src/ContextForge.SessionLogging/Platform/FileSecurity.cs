namespace ContextForge.SessionLogging;

/// <summary>Creates directories 0700 and files 0600 (on Unix), as the journal's data may hold sensitive output.</summary>
internal static class FileSecurity
{
    public static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        if (Directory.Exists(path)) return;
        string? parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(path));
        if (!string.IsNullOrEmpty(parent) && !Directory.Exists(parent)) CreatePrivateDirectory(parent);
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public static FileStream CreateNewPrivateFile(string path, int bufferSize = 0) =>
        new(path, Options(FileMode.CreateNew, bufferSize));

    /// <summary>Opens a file for appending (shared for reading, and for deleting when <paramref name="deletable"/>), created 0600 when it is new.</summary>
    public static FileStream OpenAppendPrivateFile(string path, int bufferSize = 0, bool deletable = false) =>
        new(path, Options(FileMode.Append, bufferSize, share: deletable ? FileShare.Read | FileShare.Delete : FileShare.Read));

    /// <summary>Writes <paramref name="content"/> (UTF-8, no BOM) as the whole file, created 0600 when it is new.</summary>
    public static void WriteAllTextPrivate(string path, string content)
    {
        using var file = new FileStream(path, Options(FileMode.Create, 0));
        file.Write(System.Text.Encoding.UTF8.GetBytes(content));
    }

    /// <summary>
    /// Opens (creating it 0600 if need be) a lock file for exclusive use: .NET's advisory lock on it is held until the
    /// stream is disposed or the process ends.
    /// </summary>
    public static FileStream OpenPrivateLockFile(string path) =>
        new(path, Options(FileMode.OpenOrCreate, 1, FileAccess.ReadWrite, FileShare.None));

    private static FileStreamOptions Options(FileMode mode, int bufferSize, FileAccess access = FileAccess.Write, FileShare share = FileShare.Read)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }
}
