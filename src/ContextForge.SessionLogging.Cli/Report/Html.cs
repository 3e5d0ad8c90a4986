using System.Text;

namespace ContextForge.SessionLogging.Cli.Report;

/// <summary>HTML escaping for the parts of the report written as markup (header, summaries, achievements).</summary>
internal static class Html
{
    /// <summary>HTML-escapes text for element content and double-quoted attributes.</summary>
    public static void AppendEscaped(StringBuilder html, ReadOnlySpan<char> text)
    {
        foreach (char ch in text)
        {
            switch (ch)
            {
                case '&': html.Append("&amp;"); break;
                case '<': html.Append("&lt;"); break;
                case '>': html.Append("&gt;"); break;
                case '"': html.Append("&quot;"); break;
                case '\'': html.Append("&#39;"); break;
                default:
                    // A lone surrogate (possible in a JSON-escaped command line) becomes U+FFFD when the page is encoded.
                    html.Append(ch);
                    break;
            }
        }
    }

    /// <summary>The text HTML-escaped.</summary>
    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length + 16);
        AppendEscaped(sb, text);
        return sb.ToString();
    }
}
