namespace ContextForge.SessionLogging.Cli.Report;

/// <summary>The report page's fixed stylesheet and script (hashed into its Content-Security-Policy when written).</summary>
internal static class ReportPage
{
    /// <summary>The 16 ANSI colours, light theme then dark theme.</summary>
    private static readonly string[] LightPalette = ["000000", "b91c1c", "15803d", "a16207", "1d4ed8", "a21caf", "0e7490", "9ca3af", "4b5563", "dc2626", "16a34a", "ca8a04", "2563eb", "c026d3", "0891b2", "111827"];
    private static readonly string[] DarkPalette = ["4b5563", "f87171", "4ade80", "facc15", "60a5fa", "e879f9", "22d3ee", "e5e7eb", "9ca3af", "fca5a5", "86efac", "fde047", "93c5fd", "f0abfc", "67e8f9", "ffffff"];

    public static string Stylesheet(IReadOnlyDictionary<string, string> usedColours)
    {
        var css = new System.Text.StringBuilder();
        css.Append("""
:root{color-scheme:light dark;--bg:#ffffff;--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--panel:#f9fafb;--ok:#15803d;--fail:#b91c1c;--run:#a16207;--bar:#93c5fd;--link:#1d4ed8}
@media (prefers-color-scheme:dark){:root{--bg:#111827;--fg:#e5e7eb;--muted:#9ca3af;--line:#374151;--panel:#1f2937;--ok:#4ade80;--fail:#f87171;--run:#facc15;--bar:#1d4ed8;--link:#93c5fd}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:1rem 1.5rem;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
a{color:var(--link)}
h1{font-size:1.4rem;margin:.2rem 0}
h2{font-size:1.2rem;margin:1.5rem 0 .3rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:1rem 0 .3rem}
.muted,.meta{color:var(--muted)}
.controls{display:none;gap:1rem;align-items:center;position:sticky;top:0;background:var(--bg);padding:.5rem 0;border-bottom:1px solid var(--line);z-index:1}
.js .controls{display:flex}
.controls input[type=search]{flex:1;padding:.3rem .5rem;font:inherit;color:var(--fg);background:var(--panel);border:1px solid var(--line);border-radius:4px}
.failures a{margin-right:.6rem}
ol.ops{list-style:none;padding:0;margin:0}
li.op{border-bottom:1px solid var(--line)}
li.op>a.row{display:grid;grid-template-columns:4.5rem 1fr 6rem 12rem;gap:.6rem;align-items:center;padding:.25rem .3rem;color:inherit;text-decoration:none}
li.op>.body{display:none}
li.op.open>.body,html:not(.js) li.op:target>.body{display:block}
li.op:target>a.row,li.op.hit>a.row,li.op>a.row:hover{background:var(--panel)}
.exit{font-weight:600;font-variant-numeric:tabular-nums;text-align:right;padding-right:.3rem}
.ok .exit{color:var(--ok)}.fail .exit{color:var(--fail)}.run .exit{color:var(--run)}
.fail{border-left:3px solid var(--fail)}
.name{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.dur{text-align:right;font-variant-numeric:tabular-nums;color:var(--muted)}
.bar{height:.6rem;background:var(--panel);border-radius:2px;overflow:hidden}
.bar>span{display:block;height:100%;background:var(--bar)}
.fail .bar>span{background:var(--fail)}
.meta{margin:.2rem .3rem;font-size:.85rem}
pre.out{margin:.2rem .3rem .6rem;padding:.5rem;background:var(--panel);border:1px solid var(--line);border-radius:4px;overflow:auto;max-height:40rem;white-space:pre-wrap;word-break:break-all;font:12.5px/1.35 ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace}
.stream{font-size:.8rem;color:var(--muted);margin:.2rem .3rem 0}
.note{margin:.2rem .3rem;font-size:.85rem;color:var(--run)}
.only-failed li.op:not(.fail){display:none}
li.op.miss{display:none}
ul.achievements{padding-left:1.2rem}
ul.achievements code{font-size:.8rem;word-break:break-all}
.b{font-weight:700}.d{opacity:.7}.i{font-style:italic}.u{text-decoration:underline}.s{text-decoration:line-through}.u.s{text-decoration:underline line-through}
.c-fg-default{color:var(--bg)}.c-bg-default{background:var(--fg)}

""");
        for (int i = 0; i < 16; i++) css.Append(".c-fg-").Append(i).Append("{color:#").Append(LightPalette[i]).Append("}.c-bg-").Append(i).Append("{background:#").Append(LightPalette[i]).Append("}");
        css.Append("\n@media (prefers-color-scheme:dark){");
        for (int i = 0; i < 16; i++) css.Append(".c-fg-").Append(i).Append("{color:#").Append(DarkPalette[i]).Append("}.c-bg-").Append(i).Append("{background:#").Append(DarkPalette[i]).Append("}");
        css.Append("}\n");
        for (int w = 0; w <= 100; w++) css.Append(".w").Append(w).Append("{width:").Append(w).Append("%}");
        css.Append('\n');
        foreach (var (name, hex) in usedColours)
            css.Append('.').Append(name).Append(name.StartsWith("c-fg-", StringComparison.Ordinal) ? "{color:#" : "{background:#").Append(hex).Append('}');
        css.Append("""

@media print{:root{--bg:#fff;--fg:#000;--panel:#fff}li.op>.body{display:block}.controls,.failures{display:none!important}body{max-width:none;padding:0}li.op{break-inside:avoid}pre.out{max-height:none;overflow:visible;border:0}.only-failed li.op:not(.fail),li.op.miss{display:block}}

""");
        return css.ToString();
    }

    /// <summary>Search over outputs, the failures filter, deep links, and opening everything to print.</summary>
    public const string Script = """
(function(){
"use strict";
var root=document.documentElement;root.classList.add("js");
var ops=Array.prototype.slice.call(document.querySelectorAll("li.op"));
var outputs=null,plain={};
function deferred(){if(outputs===null){var el=document.getElementById("outputs");outputs=el?JSON.parse(el.textContent):[];}return outputs;}
function fill(scope){var pres=scope.querySelectorAll("pre[data-out]");for(var i=0;i<pres.length;i++){var p=pres[i];var n=+p.getAttribute("data-out");p.removeAttribute("data-out");p.innerHTML=deferred()[n];}}
function text(li){var s=li.textContent,pres=li.querySelectorAll("pre[data-out]");for(var i=0;i<pres.length;i++){var n=pres[i].getAttribute("data-out");if(!(n in plain))plain[n]=deferred()[+n].replace(/<[^>]*>/g,"").replace(/&lt;/g,"<").replace(/&gt;/g,">").replace(/&quot;/g,"\"").replace(/&#39;/g,"'").replace(/&amp;/g,"&");s+=" "+plain[n];}return s;}
function open(li,on){li.classList.toggle("open",on);if(on)fill(li);}
function openTarget(){var h=location.hash;if(h.indexOf("#op-")!==0)return;var el=document.getElementById(h.slice(1));if(!el)return;open(el,true);el.scrollIntoView();}
document.addEventListener("click",function(e){var a=e.target.closest?e.target.closest("a.row"):null;if(!a||e.button!==0||e.ctrlKey||e.metaKey||e.shiftKey)return;e.preventDefault();var li=a.parentNode;open(li,!li.classList.contains("open"));history.replaceState(null,"",a.getAttribute("href"));});
window.addEventListener("hashchange",openTarget);
var failed=document.getElementById("only-failed");
if(failed)failed.addEventListener("change",function(){document.body.classList.toggle("only-failed",failed.checked);});
var box=document.getElementById("search"),count=document.getElementById("search-count"),timer=0;
function search(){var q=box.value.trim().toLowerCase(),n=0;
for(var i=0;i<ops.length;i++){var li=ops[i];
if(!q){li.classList.remove("miss");li.classList.remove("hit");continue;}
var hit=text(li).toLowerCase().indexOf(q)>=0;
li.classList.toggle("miss",!hit);li.classList.toggle("hit",hit);if(hit)n++;}
count.textContent=q?n+" of "+ops.length+" operations match":"";}
if(box)box.addEventListener("input",function(){clearTimeout(timer);timer=setTimeout(search,120);});
window.addEventListener("beforeprint",function(){for(var i=0;i<ops.length;i++)fill(ops[i]);});
window.addEventListener("load",function(){root.setAttribute("data-loaded-ms",String(Math.round(performance.now())));openTarget();});
})();
""";
}
