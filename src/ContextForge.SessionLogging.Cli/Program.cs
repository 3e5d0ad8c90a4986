using ContextForge.SessionLogging.Cli;
using Spectre.Console;

var output = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
var error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
return await CliApplication.RunAsync(args, new CliContext(output, error, terminal: !Console.IsOutputRedirected)).ConfigureAwait(false);
