using System.Globalization;
using System.Text;

namespace ContextForge.SessionLogging.Benchmarks;

/// <summary>
/// Realistic terminal output with no secret in it, deterministic for a seed: build and test logs, application logs,
/// Python and C# source (which names tokens, keys and passwords as code does), <c>ls -lR</c>, an npm lockfile,
/// minified JavaScript and base64 blobs. Used by the scanner benchmark (BenchmarkDotNet), the NativeAOT harness
/// (benchmarks/RedactionScan) and the process benchmark (benchmarks/run-redaction.sh).
/// </summary>
public static class RealisticCorpus
{
    private const string Alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static readonly string[] Words = ["index", "items", "config", "session", "request", "handler", "buffer", "parser", "result", "value", "cache", "client", "server", "module", "router", "stream", "table", "schema", "worker", "queue"];
    private static readonly string[] Dirs = ["/usr/lib/x86_64-linux-gnu", "/usr/share/doc", "/usr/lib/python3.11/site-packages", "/usr/include/linux", "/usr/share/locale/de/LC_MESSAGES"];

    /// <summary>At least <paramref name="bytes"/> bytes of corpus (whole lines), UTF-8.</summary>
    public static byte[] Generate(int bytes, int seed = 42)
    {
        var random = new Random(seed);
        var sb = new StringBuilder(bytes + 8192);
        int n = 0;
        while (sb.Length < bytes)
        {
            int kind = random.Next(100);
            if (kind < 15) BuildLog(sb, random, n);
            else if (kind < 25) AppLog(sb, random, n);
            else if (kind < 45) Source(sb, random, n);
            else if (kind < 67) LsLr(sb, random, n);
            else if (kind < 77) Lockfile(sb, random);
            else if (kind < 87) MinifiedJs(sb, random);
            else Base64Blob(sb, random);
            n++;
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static string W(Random r) => Words[r.Next(Words.Length)];

    private static string Hex(Random r, int n) => string.Create(n, r, (span, rr) => { for (int i = 0; i < span.Length; i++) span[i] = "0123456789abcdef"[rr.Next(16)]; });

    private static string Id(Random r, int n) => string.Create(n, r, (span, rr) => { for (int i = 0; i < span.Length; i++) span[i] = Alnum[rr.Next(26, 52)]; });

    private static void BuildLog(StringBuilder sb, Random r, int n)
    {
        for (int i = 0; i < 20; i++)
        {
            sb.Append((r.Next(8)) switch
            {
                0 => $"  Restored /src/{W(r)}/{W(r)}.csproj (in {r.Next(2000)} ms).\n",
                1 => $"  ContextForge.{W(r)} -> /src/bin/Release/net10.0/ContextForge.{W(r)}.dll\n",
                2 => $"/src/{W(r)}/{W(r)}Handler.cs({r.Next(400)},{r.Next(80)}): warning CS8618: Non-nullable property '{W(r)}' must contain a non-null value when exiting constructor.\n",
                3 => $"tests/test_{W(r)}.py::test_{W(r)}_{W(r)}_{n % 97} PASSED                    [{r.Next(100),3}%]\n",
                4 => $"  Passed ContextForge.Tests.{W(r)}Tests.{W(r)}_is_kept_when_{W(r)}_changes [{r.Next(300)} ms]\n",
                5 => $"#{r.Next(30)} [build {r.Next(9)}/9] RUN pip install --no-cache-dir -r requirements.txt\n",
                6 => $"   Compiling {W(r)}-{W(r)} v0.{r.Next(20)}.{r.Next(10)} (/src/{W(r)})\n",
                _ => $"[{r.Next(24):D2}:{r.Next(60):D2}:{r.Next(60):D2}] gcc -O2 -c src/{W(r)}.c -o build/{W(r)}.o\n",
            });
        }
    }

    private static void AppLog(StringBuilder sb, Random r, int n)
    {
        for (int i = 0; i < 15; i++)
        {
            sb.Append((r.Next(5)) switch
            {
                0 => $"2026-11-30T06:{r.Next(60):D2}:{r.Next(60):D2}.{r.Next(1000):D3}Z INFO  [{W(r)}] Request starting HTTP/1.1 GET http://localhost:5000/api/{W(r)}?page={r.Next(50)} - -\n",
                1 => $"2026-11-30T06:{r.Next(60):D2}:{r.Next(60):D2}.{r.Next(1000):D3}Z DEBUG [{W(r)}] cache miss for key {W(r)}:{r.Next(100000)} ({r.Next(900)} us)\n",
                2 => $"2026-11-30T06:{r.Next(60):D2}:{r.Next(60):D2}.{r.Next(1000):D3}Z WARN  [auth] token refresh for session {Guid.NewGuid():D} took {r.Next(3000)} ms\n",
                3 => $"{{\"ts\":\"2026-11-30T06:00:{r.Next(60):D2}Z\",\"level\":\"info\",\"msg\":\"{W(r)} {W(r)} done\",\"trace_id\":\"{Hex(r, 32)}\",\"duration_ms\":{r.Next(500)}}}\n",
                _ => $"  at ContextForge.{W(r)}.{W(r)}Service.{W(r)}Async(CancellationToken token) in /src/{W(r)}.cs:line {n % 500}\n",
            });
        }
    }

    private static void Source(StringBuilder sb, Random r, int n)
    {
        string a = W(r), b = W(r);
        sb.Append(CultureInfo.InvariantCulture, $"class {char.ToUpperInvariant(a[0])}{a[1..]}{char.ToUpperInvariant(b[0])}{b[1..]}:\n");
        sb.Append(CultureInfo.InvariantCulture, $"    \"\"\"Keeps the {a} of a {b}; see https://docs.example.org/{a}/{b}.html for the key format.\"\"\"\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"    def __init__(self, {a}, token=None, timeout={r.Next(60)}):\n");
        sb.Append(CultureInfo.InvariantCulture, $"        self._{a} = {a}\n        self._token = token\n        self._keys = {{}}\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"    def get_{b}(self, key):\n        if key in self._keys:\n            return self._keys[key]\n");
        sb.Append(CultureInfo.InvariantCulture, $"        password = getpass.getpass(prompt=\"{b} password: \")\n        return self._client.fetch(key, auth=self._auth)\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"public sealed class {char.ToUpperInvariant(b[0])}{b[1..]}Options\n{{\n    public string ApiKey {{ get; init; }} = \"\";\n");
        sb.Append(CultureInfo.InvariantCulture, $"    public TimeSpan {char.ToUpperInvariant(a[0])}{a[1..]}Timeout {{ get; init; }} = TimeSpan.FromSeconds({n % 90});\n}}\n\n");
    }

    private static void LsLr(StringBuilder sb, Random r, int n)
    {
        sb.Append(Dirs[r.Next(Dirs.Length)]).Append('/').Append(W(r)).Append(":\ntotal ").Append(r.Next(9000).ToString(CultureInfo.InvariantCulture)).Append('\n');
        for (int i = 0; i < 24; i++)
        {
            bool dir = r.Next(6) == 0;
            sb.Append(CultureInfo.InvariantCulture, $"{(dir ? "drwxr-xr-x" : "-rw-r--r--")} {(dir ? 2 : 1)} root root {r.Next(200000),7} Nov {r.Next(1, 31),2} {r.Next(24):D2}:{r.Next(60):D2} lib{W(r)}{(dir ? "" : $".so.{r.Next(9)}.{r.Next(20)}.{n % 10}")}\n");
        }
        sb.Append('\n');
    }

    private static void Lockfile(StringBuilder sb, Random r)
    {
        for (int i = 0; i < 6; i++)
        {
            string name = W(r) + "-" + W(r);
            string version = $"{r.Next(10)}.{r.Next(30)}.{r.Next(20)}";
            byte[] digest = new byte[64];
            r.NextBytes(digest);
            sb.Append(CultureInfo.InvariantCulture, $"    \"node_modules/{name}\": {{\n      \"version\": \"{version}\",\n");
            sb.Append(CultureInfo.InvariantCulture, $"      \"resolved\": \"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz\",\n");
            sb.Append(CultureInfo.InvariantCulture, $"      \"integrity\": \"sha512-{Convert.ToBase64String(digest)}\",\n      \"dev\": true\n    }},\n");
        }
    }

    private static void MinifiedJs(StringBuilder sb, Random r)
    {
        int length = 2000 + r.Next(4000);
        int start = sb.Length;
        while (sb.Length - start < length)
        {
            string f = Id(r, 1 + r.Next(2)), g = Id(r, 1 + r.Next(2));
            sb.Append((r.Next(4)) switch
            {
                0 => $"function {f}({g},t){{return {g}&&{g}.{W(r)}?t.{W(r)}({g}):null}}",
                1 => $"var {f}={g}.{W(r)}||{{}};",
                2 => $"{f}.prototype.{W(r)}=function(){{this.key=this.{W(r)}.length;return this}};",
                _ => $"if({f}!=={g}){{{f}.push(\"{W(r)}\",{r.Next(1000)})}}",
            });
        }
        sb.Append('\n');
    }

    private static void Base64Blob(StringBuilder sb, Random r)
    {
        byte[] data = new byte[57 * 40];
        r.NextBytes(data);
        string b64 = Convert.ToBase64String(data);
        for (int i = 0; i < b64.Length; i += 76) sb.Append(b64, i, Math.Min(76, b64.Length - i)).Append('\n');
    }
}
