using Spectre.Console;
using Spectre.Console.Rendering;

namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// An <see cref="IAnsiConsole"/> that shows everything on the display console and renders the same renderables,
/// with ANSI colours kept, into the capture (Spectre's Recorder pattern, but streamed and bounded instead of kept in memory).
/// </summary>
internal sealed class RecordingAnsiConsole : IAnsiConsole
{
    private readonly IAnsiConsole _display;
    private readonly IAnsiConsole _recording;

    public RecordingAnsiConsole(IAnsiConsole display, TextWriter capture)
    {
        _display = display;
        var colors = display.Profile.Capabilities.ColorSystem;
        _recording = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = colors == ColorSystem.NoColors ? ColorSystemSupport.Standard : (ColorSystemSupport)(int)colors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(capture),
        });
        _recording.Profile.Width = display.Profile.Width;
        _recording.Profile.Height = display.Profile.Height;
        _recording.Profile.Capabilities.Unicode = display.Profile.Capabilities.Unicode;
    }

    public Profile Profile => _display.Profile;

    public IAnsiConsoleCursor Cursor => _display.Cursor;

    public IAnsiConsoleInput Input => _display.Input;

    public IExclusivityMode ExclusivityMode => _display.ExclusivityMode;

    public RenderPipeline Pipeline => _display.Pipeline;

    public void Clear(bool home)
    {
        ConsoleRouter.WithoutCapture(() => _display.Clear(home));
        _recording.Clear(home);
    }

    public void Write(IRenderable renderable)
    {
        ConsoleRouter.WithoutCapture(() => _display.Write(renderable));
        _recording.Write(renderable);
    }

    public void WriteAnsi(Action<AnsiWriter> action)
    {
        ConsoleRouter.WithoutCapture(() => _display.WriteAnsi(action));
        _recording.WriteAnsi(action);
    }
}
