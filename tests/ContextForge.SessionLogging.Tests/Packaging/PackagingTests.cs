using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Packaging;

/// <summary>scripts/pack.sh, once for the class: every package in artifacts/packages and the version they carry.</summary>
public sealed class PackedPackages
{
    private readonly Lazy<(string Folder, string Version)> _packed = new(Pack);

    public string Folder => _packed.Value.Folder;

    /// <summary>The packages' version (MinVer), e.g. <c>0.1.0-alpha.0.104</c>.</summary>
    public string Version => _packed.Value.Version;

    private static (string, string) Pack()
    {
        var pack = RepositoryScripts.Bash("pack.sh", [], TimeSpan.FromMinutes(40));
        Assert.True(pack.ExitCode == 0, pack.ToString());
        string folder = Path.Combine(RepositoryScripts.Root, "artifacts", "packages");
        string core = Directory.GetFiles(folder, "ContextForge.SessionLogging.0*.nupkg").Concat(Directory.GetFiles(folder, "ContextForge.SessionLogging.[1-9]*.nupkg")).Single();
        string version = Path.GetFileNameWithoutExtension(core)["ContextForge.SessionLogging.".Length..];
        // NuGet caches a package by id and version: a cached copy from an earlier pack of this commit would be used
        // instead of the one just built.
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in Directory.GetFiles(folder, "*.nupkg").Select(f => Path.GetFileName(f)[..^($".{version}.nupkg".Length)].ToLowerInvariant()))
        {
            string cached = Path.Combine(cache, id, version);
            if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
        }
        return (folder, version);
    }
}

/// <summary>
/// The packages as a user gets them (issue 20): the dotnet tool installed from the packed .nupkg into a tool path, and a
/// fresh console app referencing the library from the local package folder. Slow; run by scripts/test.sh as its own step.
/// </summary>
[Collection("Packaging")]
public sealed class PackagingTests(PackedPackages packages) : IClassFixture<PackedPackages>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [PackagingFact]
    public void Every_package_and_its_symbols_are_packed_with_one_version_that_is_not_0_0_0()
    {
        string[] files = Directory.GetFiles(packages.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        string v = packages.Version;

        Assert.Matches(@"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$", v);
        Assert.False(v.StartsWith("0.0.", StringComparison.Ordinal), v);
        Assert.Equal(new[]
        {
            $"ContextForge.SessionLogging.{v}.nupkg", $"ContextForge.SessionLogging.{v}.snupkg",
            $"ContextForge.SessionLogging.Cli.{v}.nupkg", $"ContextForge.SessionLogging.Cli.any.{v}.nupkg", $"ContextForge.SessionLogging.Cli.any.{v}.snupkg",
            $"ContextForge.SessionLogging.Cli.linux-x64.{v}.nupkg",
            $"ContextForge.SessionLogging.Extensions.Logging.{v}.nupkg", $"ContextForge.SessionLogging.Extensions.Logging.{v}.snupkg",
            $"ContextForge.SessionLogging.OpenTelemetry.{v}.nupkg", $"ContextForge.SessionLogging.OpenTelemetry.{v}.snupkg",
            $"ContextForge.SessionLogging.Serilog.{v}.nupkg", $"ContextForge.SessionLogging.Serilog.{v}.snupkg",
            $"ContextForge.SessionLogging.TeamStore.{v}.nupkg", $"ContextForge.SessionLogging.TeamStore.{v}.snupkg",
            $"ContextForge.SessionLogging.Tracing.{v}.nupkg", $"ContextForge.SessionLogging.Tracing.{v}.snupkg",
        }.Order(StringComparer.Ordinal), files);
        // Each library carries its README and XML docs; the linux-x64 tool package only what runs.
        foreach (string library in new[] { "", ".Extensions.Logging", ".OpenTelemetry", ".Serilog", ".TeamStore", ".Tracing" })
        {
            string id = "ContextForge.SessionLogging" + library;
            using var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(packages.Folder, $"{id}.{v}.nupkg"));
            Assert.True(package.Entries.Any(e => e.FullName == "README.md"), $"{id} has no README.md");
            Assert.True(package.Entries.Any(e => e.FullName == $"lib/net10.0/{id}.xml"), $"{id} has no XML docs");
        }
        using var native = System.IO.Compression.ZipFile.OpenRead(Path.Combine(packages.Folder, $"ContextForge.SessionLogging.Cli.linux-x64.{v}.nupkg"));
        Assert.Equal(["tools/any/linux-x64/DotnetToolSettings.xml", "tools/any/linux-x64/cfsession", "tools/any/linux-x64/libe_sqlite3.so"],
            native.Entries.Select(e => e.FullName).Where(n => n.StartsWith("tools/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [PackagingFact]
    public void The_tool_installed_from_the_packed_nupkg_is_the_native_binary_and_records_and_inspects_a_run()
    {
        string toolPath = _dir.Combine("tools");
        string home = _dir.Combine("home");
        Directory.CreateDirectory(home);
        var install = RepositoryScripts.Run("dotnet", ["tool", "install", "ContextForge.SessionLogging.Cli", "--version", packages.Version,
            "--add-source", packages.Folder, "--tool-path", toolPath], _dir.Path, TimeSpan.FromMinutes(10));
        Assert.True(install.ExitCode == 0, install.ToString());
        string cfsession = Path.Combine(toolPath, "cfsession");
        // linux-x64 gets the NativeAOT package: an ELF executable, not the framework-dependent shim.
        string target = new FileInfo(cfsession).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? cfsession;
        Assert.Contains("contextforge.sessionlogging.cli.linux-x64", target, StringComparison.Ordinal);
        Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(target)[..4]);
        var env = new Dictionary<string, string?> { ["CFSESSION_HOME"] = home };

        var version = RepositoryScripts.Run(cfsession, ["--version"], _dir.Path, TimeSpan.FromMinutes(1), env);
        var run = RepositoryScripts.Run(cfsession, ["run", "--", "echo", "ok"], _dir.Path, TimeSpan.FromMinutes(1), env);
        var inspect = RepositoryScripts.Run(cfsession, ["inspect", "--json"], _dir.Path, TimeSpan.FromMinutes(1), env);

        Assert.Matches($"^{Regex.Escape(packages.Version)}\\+[0-9a-f]{{40}}\n$", version.Stdout);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("ok\n", run.Stdout);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        var document = JsonNode.Parse(inspect.Stdout)!;
        string json = document.ToJsonString();
        Assert.Contains("\"echo ok\"", json, StringComparison.Ordinal);
        var validate = RepositoryScripts.Run(cfsession, ["validate", "--all"], _dir.Path, TimeSpan.FromMinutes(1), env);
        Assert.True(validate.ExitCode == 0, validate.ToString());
    }

    [PackagingFact]
    public async Task A_fresh_console_app_on_the_library_package_runs_the_READMEs_example_as_written_and_its_journal_validates()
    {
        string app = _dir.Combine("app");
        string home = _dir.Combine("home");
        Directory.CreateDirectory(app);
        // Outside the repository: no Directory.Build.props or central package versions reach it.
        Assert.False(app.StartsWith(RepositoryScripts.Root, StringComparison.Ordinal));
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local" value="{packages.Folder}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ContextForge.SessionLogging" Version="{packages.Version}" />
              </ItemGroup>
            </Project>
            """);
        // The README's library example, exactly as written (its top-level statements are the whole program).
        string example = Samples.ReadmeSnippetTests.Extract(Path.Combine(RepositoryScripts.Root, "README.md"), "README.md").Single(x => x.Kind == "console").Code;
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), example);

        var run = RepositoryScripts.Run("dotnet", ["run", "-c", "Release"], app, TimeSpan.FromMinutes(15),
            new Dictionary<string, string?> { ["CFSESSION_HOME"] = home, ["TRACEPARENT"] = null });

        Assert.True(run.ExitCode == 0, run.ToString());
        string assets = await File.ReadAllTextAsync(Path.Combine(app, "obj", "project.assets.json"));
        Assert.Contains($"\"ContextForge.SessionLogging/{packages.Version}\"", assets, StringComparison.Ordinal);
        string sessionId = Assert.Single(JournalFiles.SessionIds(home));
        var events = JournalFiles.ReadSession(home, sessionId).Events;
        Assert.Equal(SessionEventNames.SessionStart, events[0].Name);
        Assert.Equal(SessionEventNames.SessionEnd, events[^1].Name);
        Assert.Equal(["render report", "upload"], events.Where(e => e.Name == SessionEventNames.TerminalCapture).Select(e => e.GetString(JournalFields.OperationName)));
        Assert.Equal(42, events.Single(e => e.Name == SessionEventNames.AchievementLogged).Fields["evidence"]!["passed"]!.GetValue<int>());
        var validate = await CfSessionProcess.RunAsync(home, ["validate", "--all"]);
        Assert.True(validate.ExitCode == 0, validate.StdoutText + validate.Stderr);
    }
}
