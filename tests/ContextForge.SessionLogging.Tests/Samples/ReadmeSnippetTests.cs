using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Query;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Samples;

/// <summary>
/// The C# in README.md and docs/*.md is code a user pastes: every <c>```csharp</c> block is marked
/// <c>&lt;!-- snippet: console --&gt;</c> or <c>&lt;!-- snippet: host --&gt;</c>, and each kind's blocks are built (one
/// <c>dotnet build</c> per kind, warnings as errors) into a fresh app outside the repository that references the library
/// projects, then run against a temporary data directory whose journal must validate. A snippet that stops compiling
/// fails here.
/// </summary>
public sealed partial class ReadmeSnippetTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>One fenced C# block: where it is, which app it belongs to (null when unmarked), its code.</summary>
    public sealed record Snippet(string File, int Line, string? Kind, string Code);

    [GeneratedRegex(@"^<!--\s*snippet:\s*(?<kind>[a-z]+)\s*-->\s*$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^using\s+(static\s+)?[A-Za-z_][\w.]*(\s*=\s*[\w.<>, ]+)?\s*;")]
    private static partial Regex UsingDirective();

    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "ContextForge.SessionLogging.slnx"))) root = root.Parent!;
        return root.FullName;
    }

    /// <summary>The build configuration the tests were built with (bin/&lt;Configuration&gt;/net10.0/).</summary>
    private static string Configuration() =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    public static IReadOnlyList<Snippet> Extract(string path, string shownAs)
    {
        var lines = File.ReadAllLines(path);
        var snippets = new List<Snippet>();
        for (int i = 0; i < lines.Length; i++)
        {
            string fence = lines[i].Trim();
            if (!fence.StartsWith("```", StringComparison.Ordinal)) continue;
            string language = fence[3..].Trim();
            int close = Array.FindIndex(lines, i + 1, l => l.Trim() == "```");
            if (close < 0) throw new InvalidDataException($"{shownAs}:{i + 1}: a code block is never closed");
            if (language is "csharp" or "cs" or "c#")
            {
                int previous = i - 1;
                while (previous >= 0 && lines[previous].Trim().Length == 0) previous--;
                var marker = previous >= 0 ? Marker().Match(lines[previous].Trim()) : Match.Empty;
                snippets.Add(new Snippet(shownAs, i + 1, marker.Success ? marker.Groups["kind"].Value : null, string.Join('\n', lines[(i + 1)..close])));
            }
            i = close;
        }
        return snippets;
    }

    private static IReadOnlyList<Snippet> AllSnippets()
    {
        string root = RepositoryRoot();
        var files = new List<string> { Path.Combine(root, "README.md") };
        files.AddRange(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal));
        return [.. files.SelectMany(f => Extract(f, Path.GetRelativePath(root, f)))];
    }

    [Fact]
    public void Extract_finds_fenced_csharp_blocks_with_their_marker_and_skips_other_languages()
    {
        string md = Path.Combine(_dir.Path, "x.md");
        File.WriteAllText(md, "text\n<!-- snippet: host -->\n```csharp\nvar a = 1;\n```\n```bash\necho\n```\n```csharp\nvar b = 2;\n```\n");

        var found = Extract(md, "x.md");

        Assert.Equal([new Snippet("x.md", 3, "host", "var a = 1;"), new Snippet("x.md", 9, null, "var b = 2;")], found);
    }

    [Fact]
    public void Every_csharp_block_of_the_README_and_docs_is_marked_for_a_compiled_app()
    {
        var snippets = AllSnippets();

        var unmarked = snippets.Where(s => s.Kind is not ("console" or "host")).Select(s => $"{s.File}:{s.Line}").ToList();
        Assert.True(unmarked.Count == 0, "C# blocks not marked <!-- snippet: console --> or <!-- snippet: host -->: " + string.Join(", ", unmarked));
        Assert.Contains(snippets, s => s.File == "README.md" && s.Kind == "console");
        Assert.Contains(snippets, s => s.File == "README.md" && s.Kind == "host");
    }

    [Fact]
    public async Task The_console_snippets_build_as_a_fresh_console_app_and_record_a_session_that_validates()
    {
        var run = await BuildAndRunAsync("console", ["Spectre.Console"]);

        using var queries = SessionQueries.Open(run.DataDirectory);
        var session = Assert.Single(queries.Sessions(0).Sessions);
        Assert.Equal(("nightly", "ci", "ended"), (session.SessionName, session.SessionType, session.Status));
        var events = JournalFiles.ReadSession(run.DataDirectory, session.SessionId).Events;
        Assert.Equal(["render report", "upload"], events.Where(e => e.Name == SessionEventNames.TerminalCapture).Select(e => e.GetString(JournalFields.OperationName)));
        Assert.Equal("tests_passed", events.Single(e => e.Name == SessionEventNames.AchievementLogged).GetString(JournalFields.AchievementType));
        Assert.Equal(12, events.Single(e => e.Name == "ReportSent").GetInt64("pages"));
        Assert.Equal("first_report", events.Single(e => e.Name == ContextForge.SessionLogging.Telemetry.UnifiedTelemetry.MilestoneReachedEventName).GetString(JournalFields.MilestoneName));
        AssertValid(queries);
    }

    [Fact]
    public async Task The_host_snippets_build_as_a_generic_host_app_whose_session_spans_the_host_and_validates()
    {
        var run = await BuildAndRunAsync("host", ["Microsoft.Extensions.Hosting", "OpenTelemetry", "OpenTelemetry.Exporter.Console", "Serilog", "Spectre.Console"]);

        using var queries = SessionQueries.Open(run.DataDirectory);
        var session = Assert.Single(queries.Sessions(0).Sessions);
        Assert.Equal(("service", "ended"), (session.SessionType, session.Status));
        var events = JournalFiles.ReadSession(run.DataDirectory, session.SessionId).Events;
        // The host's own lines (lifetime messages) are in the session too; the snippet's are these two.
        var logs = events.Where(e => e.Name == "LogEntry" && e.GetString("message_template") is "Placed order {OrderId}" or "Processed {Count} items").ToList();
        Assert.Equal(["Placed order {OrderId}", "Processed {Count} items"], logs.Select(e => e.GetString("message_template")));
        Assert.Contains(events, e => e.Name == "LogEntry" && e.GetString("message_template") == "Application started. Press Ctrl+C to shut down.");
        Assert.Equal(["Microsoft.Extensions.Logging", "Serilog"], logs.Select(e => e.GetString("log_source")));
        var capture = events.Single(e => e.Name == SessionEventNames.TerminalCapture);
        Assert.Equal("nightly report", capture.GetString(JournalFields.OperationName));
        // The tracer provider existed before the session: the session's span and the operation's were exported.
        Assert.Contains($"{capture.GetString(JournalFields.SpanId)}", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{events.Single(e => e.Name == SessionEventNames.SessionStart).GetString(JournalFields.SpanId)}", run.Stdout, StringComparison.Ordinal);
        AssertValid(queries);
    }

    private static void AssertValid(SessionQueries queries)
    {
        var report = queries.Validate();
        Assert.True(report.Valid, report.ToJson());
        Assert.Equal(1, report.SessionsChecked);
    }

    private sealed record SnippetRun(string DataDirectory, string Stdout);

    /// <summary>
    /// Writes one app of <paramref name="kind"/>'s snippets in a directory outside the repository (no Directory.Build.props
    /// reaches it): each snippet a file whose statements become a method of <c>Program</c> (the app's Main runs them in
    /// document order), references to the library projects and to <paramref name="packages"/> at the versions the
    /// repository pins; builds it once and runs it.
    /// </summary>
    private async Task<SnippetRun> BuildAndRunAsync(string kind, IReadOnlyList<string> packages)
    {
        string root = RepositoryRoot();
        var snippets = AllSnippets().Where(s => s.Kind == kind).ToList();
        Assert.NotEmpty(snippets);
        string app = Path.Combine(_dir.Path, kind + "-app");
        Directory.CreateDirectory(app);
        var main = new StringBuilder("internal sealed partial class Program\n{\n    private static async Task Main(string[] args)\n    {\n");
        for (int n = 0; n < snippets.Count; n++)
        {
            var (directives, body) = Split(snippets[n].Code);
            var file = new StringBuilder();
            file.Append("// ").Append(snippets[n].File).Append(':').Append(snippets[n].Line).Append('\n');
            foreach (string d in directives) file.Append(d).Append('\n');
            file.Append("\ninternal sealed partial class Program\n{\n");
            file.Append("    private static async Task Snippet").Append(n).Append("(string[] args)\n    {\n");
            file.Append("#line ").Append(snippets[n].Line + 1 + directives.Count).Append(" \"").Append(snippets[n].File).Append("\"\n");
            foreach (string line in body) file.Append(line).Append('\n');
            file.Append("#line default\n        await Task.CompletedTask;\n    }\n}\n");
            File.WriteAllText(Path.Combine(app, $"Snippet{n}.cs"), file.ToString());
            main.Append("        await Snippet").Append(n).Append("(args);\n");
        }
        main.Append("    }\n}\n");
        File.WriteAllText(Path.Combine(app, "Program.cs"), main.ToString());
        File.WriteAllText(Path.Combine(app, kind + "-app.csproj"), Project(root, packages));
        File.Copy(Path.Combine(root, "nuget.config"), Path.Combine(app, "nuget.config"));

        var build = await RunAsync("dotnet", ["build", app, "-c", Configuration(), "--nologo", "-v", "q", "-clp:ErrorsOnly"], app, null, TimeSpan.FromMinutes(8));
        Assert.True(build.ExitCode == 0, $"the {kind} snippets do not build:\n{build.Stdout}\n{build.Stderr}");

        string data = Path.Combine(_dir.Path, kind + "-data");
        Directory.CreateDirectory(data);
        string dll = Path.Combine(app, "bin", Configuration(), "net10.0", kind + "-app.dll");
        var run = await RunAsync("dotnet", [dll], app, data, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, $"the {kind} app failed ({run.ExitCode}):\n{run.Stdout}\n{run.Stderr}");
        return new SnippetRun(data, run.Stdout);
    }

    /// <summary>A snippet's leading using directives (file scope) and the statements after them.</summary>
    private static (List<string> Directives, List<string> Body) Split(string code)
    {
        var lines = code.Split('\n');
        int first = 0;
        var directives = new List<string>();
        while (first < lines.Length && (UsingDirective().IsMatch(lines[first].Trim()) || lines[first].Trim().Length == 0))
        {
            if (lines[first].Trim().Length > 0) directives.Add(lines[first].Trim());
            first++;
        }
        // Blank lines between the directives count towards the #line offset: keep them in the body instead.
        int blank = directives.Count == 0 ? 0 : lines.Take(first).Count(l => l.Trim().Length == 0);
        var body = Enumerable.Repeat(string.Empty, blank).Concat(lines[first..]).ToList();
        return (directives, body);
    }

    /// <summary>A fresh app's project: what <c>dotnet new console</c> sets, warnings as errors, the library projects, pinned packages.</summary>
    private static string Project(string root, IReadOnlyList<string> packages)
    {
        var pinned = XDocument.Load(Path.Combine(root, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!);
        var libraries = new[] { "ContextForge.SessionLogging", "ContextForge.SessionLogging.Extensions.Logging", "ContextForge.SessionLogging.Serilog", "ContextForge.SessionLogging.OpenTelemetry" };
        var project = new XElement("Project", new XAttribute("Sdk", "Microsoft.NET.Sdk"),
            new XElement("PropertyGroup",
                new XElement("OutputType", "Exe"),
                new XElement("TargetFramework", "net10.0"),
                new XElement("ImplicitUsings", "enable"),
                new XElement("Nullable", "enable"),
                new XElement("TreatWarningsAsErrors", "true"),
                new XElement("ManagePackageVersionsCentrally", "false")),
            new XElement("ItemGroup", libraries.Select(l =>
                new XElement("ProjectReference", new XAttribute("Include", Path.Combine(root, "src", l, l + ".csproj"))))),
            new XElement("ItemGroup", packages.Select(p =>
                new XElement("PackageReference", new XAttribute("Include", p), new XAttribute("Version", pinned[p])))));
        return project.ToString();
    }

    private sealed record ProcessRun(int ExitCode, string Stdout, string Stderr);

    private static async Task<ProcessRun> RunAsync(string program, IReadOnlyList<string> args, string workingDirectory, string? dataDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach (string v in new[] { "CFSESSION_ID", "CFSESSION_PARENT_ID", "TRACEPARENT", "CFSESSION_HOME" }) psi.Environment.Remove(v);
        if (dataDirectory is not null) psi.Environment["CFSESSION_HOME"] = dataDirectory;
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in {timeout}");
        }
        return new ProcessRun(process.ExitCode, await stdout, await stderr);
    }
}
