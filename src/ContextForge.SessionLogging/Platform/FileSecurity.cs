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

    public static FileStream OpenAppendPrivateFile(string path) =>
        new(path, Options(FileMode.Append, 0));

    private static FileStreamOptions Options(FileMode mode, int bufferSize)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.Read, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }
}
