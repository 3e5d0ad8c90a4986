using System.Diagnostics;
using ContextForge.SessionLogging.Fuzz;
using SharpFuzz;

// ContextForge.SessionLogging.Fuzz TARGET            run TARGET under afl-fuzz (SharpFuzz fork server; input on stdin)
// ContextForge.SessionLogging.Fuzz TARGET FILE...    replay files through TARGET (uninstrumented): one line each,
//                                                     exit 1 when any input crashes, 2 when one hangs (> 10 s,
//                                                     CFSESSION_FUZZ_HANG_SECONDS)
// ContextForge.SessionLogging.Fuzz --list            the target names
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine($"usage: ContextForge.SessionLogging.Fuzz TARGET [FILE...] | --list   (targets: {string.Join(", ", FuzzTargets.All.Keys)})");
    return 64;
}
if (args[0] == "--list")
{
    foreach (string name in FuzzTargets.All.Keys) Console.WriteLine(name);
    return 0;
}
string target = args[0];
if (!FuzzTargets.All.ContainsKey(target))
{
    Console.Error.WriteLine($"unknown target '{target}' (known: {string.Join(", ", FuzzTargets.All.Keys)})");
    return 64;
}
if (args.Length == 1)
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        _ = FuzzTargets.Run(target, memory.ToArray());
    });
    return 0;
}

int crashes = 0;
foreach (string file in args.Skip(1))
{
    byte[] input = File.ReadAllBytes(file);
    var clock = Stopwatch.StartNew();
    var run = Task.Run(() => FuzzTargets.Run(target, input));
    try
    {
        int hangSeconds = int.TryParse(Environment.GetEnvironmentVariable("CFSESSION_FUZZ_HANG_SECONDS"), out int h) ? h : 10;
        if (!run.Wait(TimeSpan.FromSeconds(hangSeconds)))
        {
            Console.WriteLine($"HANG {file}: still running after {hangSeconds} s");
            return 2;
        }
        var outcome = run.Result;
        string detail = outcome.Detail.ReplaceLineEndings(" ");
        Console.WriteLine($"{(outcome.Accepted ? "ok" : "rejected")} {file} ({clock.ElapsedMilliseconds} ms): {(detail.Length > 160 ? detail[..160] + "..." : detail)}");
    }
    catch (AggregateException ex) when (ex.InnerException is { } inner)
    {
        crashes++;
        Console.WriteLine($"CRASH {file}: {inner.GetType().FullName}: {inner.Message.ReplaceLineEndings(" ")}");
        // The first frames (CFSESSION_FUZZ_STACK=1: all of them), enough to tell crashes apart.
        var frames = (inner.StackTrace ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string frame in Environment.GetEnvironmentVariable("CFSESSION_FUZZ_STACK") == "1" ? frames : frames.Take(3)) Console.WriteLine("  " + frame);
    }
}
return crashes > 0 ? 1 : 0;
