using System.Text;

namespace ContextForge.SessionLogging.Cli.Report;

/// <summary>The report page's fixed stylesheet and script (hashed into its Content-Security-Policy when written).</summary>
internal static class ReportPage
{
    /// <summary>The 16 ANSI colours, light theme then dark theme.</summary>
    private static readonly string[] LightPalette = ["000000", "b91c1c", "15803d", "a16207", "1d4ed8", "a21caf", "0e7490", "9ca3af", "4b5563", "dc2626", "16a34a", "ca8a04", "2563eb", "c026d3", "0891b2", "111827"];
    private static readonly string[] DarkPalette = ["4b5563", "f87171", "4ade80", "facc15", "60a5fa", "e879f9", "22d3ee", "e5e7eb", "9ca3af", "fca5a5", "86efac", "fde047", "93c5fd", "f0abfc", "67e8f9", "ffffff"];

    private const string LightTheme = "color-scheme:light;--bg:#ffffff;--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--panel:#f9fafb;--ok:#15803d;--fail:#b91c1c;--run:#a16207;--bar:#93c5fd;--link:#1d4ed8";
    private const string DarkTheme = "color-scheme:dark;--bg:#111827;--fg:#e5e7eb;--muted:#9ca3af;--line:#374151;--panel:#1f2937;--ok:#4ade80;--fail:#f87171;--run:#facc15;--bar:#1d4ed8;--link:#93c5fd";

    private static string Palette(string[] palette)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < palette.Length; i++) sb.Append(";--c").Append(i).Append(":#").Append(palette[i]);
        return sb.ToString();
    }

    public static string Stylesheet(IReadOnlyDictionary<string, string> usedColours)
    {
        var css = new StringBuilder();
        // Themes: the system's (prefers-color-scheme) unless the theme button chose one (html[data-theme]).
        css.Append(":root{").Append(LightTheme).Append(Palette(LightPalette)).Append("}\n");
        css.Append("@media (prefers-color-scheme:dark){:root:not([data-theme=light]){").Append(DarkTheme).Append(Palette(DarkPalette)).Append("}}\n");
        css.Append(":root[data-theme=dark]{").Append(DarkTheme).Append(Palette(DarkPalette)).Append("}\n");
        css.Append("""
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
button{font:inherit;color:var(--fg);background:var(--panel);border:1px solid var(--line);border-radius:4px;padding:.2rem .6rem;cursor:pointer}
.failures a{margin-right:.6rem}
ol.ops{list-style:none;padding:0;margin:0}
ol.ops.pending{height:calc(var(--n,0) * (1.85rem + 1px))}
li.op{border-bottom:1px solid var(--line);scroll-margin-top:3rem}
li.op>a.row{display:grid;grid-template-columns:4.5rem 1fr 6rem 12rem;gap:.6rem;align-items:center;height:1.85rem;padding:0 .3rem;color:inherit;text-decoration:none}
li.op>.body{display:none}
li.op.open>.body{display:block}
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
button.replay{margin:.2rem .3rem}
.player{margin:.3rem .3rem .6rem;max-width:100%}
.only-failed li.op:not(.fail){display:none}
li.op.miss{display:none}
ul.achievements{padding-left:1.2rem}
ul.achievements code{font-size:.8rem;word-break:break-all}
.b{font-weight:700}.d{opacity:.7}.i{font-style:italic}.u{text-decoration:underline}.s{text-decoration:line-through}.u.s{text-decoration:underline line-through}
.c-fg-default{color:var(--bg)}.c-bg-default{background:var(--fg)}

""");
        for (int i = 0; i < 16; i++) css.Append(".c-fg-").Append(i).Append("{color:var(--c").Append(i).Append(")}.c-bg-").Append(i).Append("{background:var(--c").Append(i).Append(")}");
        css.Append('\n');
        for (int w = 0; w <= 100; w++) css.Append(".w").Append(w).Append("{width:").Append(w).Append("%}");
        css.Append('\n');
        foreach (var (name, hex) in usedColours)
            css.Append('.').Append(name).Append(name.StartsWith("c-fg-", StringComparison.Ordinal) ? "{color:#" : "{background:#").Append(hex).Append('}');
        css.Append("""

@media print{:root{--bg:#fff;--fg:#000;--panel:#fff}li.op>.body{display:block}.controls,.failures,button.replay{display:none!important}body{max-width:none;padding:0}li.op{break-inside:avoid}pre.out{max-height:none;overflow:visible;border:0}.only-failed li.op:not(.fail),li.op.miss{display:block}}

""");
        return css.ToString();
    }

    /// <summary>
    /// Draws the timeline from the page's data blocks (rows chunk by chunk, an operation's body when it opens, with
    /// <c>textContent</c> only), search over every output, the failures filter, deep links, the theme button, replay
    /// (the bundled player, created on click), and opening everything to print.
    /// </summary>
    public const string Script = """
(function(){
"use strict";
var root=document.documentElement;root.classList.add("js");
function data(id){var el=document.getElementById(id);return el?JSON.parse(el.textContent):null;}
var rows=data("rows")||[],lists=Array.prototype.slice.call(document.querySelectorAll("ol.ops[data-chunk]"));
var byId={},listOf=[],liOf=[],bodies=[],plain=[],hits=null,pending=lists.length;
for(var g=0;g<rows.length;g++)byId["op-"+rows[g][0]]=g;
lists.forEach(function(ol){var f=+ol.getAttribute("data-first"),n=+ol.getAttribute("data-count");ol.style.setProperty("--n",String(n));for(var i=0;i<n;i++)listOf[f+i]=ol;});
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text)e.textContent=text;return e;}
function row(g){var r=rows[g],li=el("li","op "+r[2]),a=el("a","row"),bar=el("span","bar");li.id="op-"+r[0];a.href="#op-"+r[0];
a.appendChild(el("span","exit",r[3]));a.appendChild(el("span","name",r[1]));a.appendChild(el("span","dur",r[4]));bar.appendChild(el("span","w"+r[5]));a.appendChild(bar);li.appendChild(a);
if(hits){li.classList.toggle("miss",!hits[g]);li.classList.toggle("hit",!!hits[g]);}liOf[g]=li;return li;}
function fill(ol){if(!ol.classList.contains("pending"))return;var f=+ol.getAttribute("data-first"),n=+ol.getAttribute("data-count"),frag=document.createDocumentFragment();
for(var i=0;i<n;i++)frag.appendChild(row(f+i));ol.appendChild(frag);ol.classList.remove("pending");ol.style.removeProperty("--n");if(observer)observer.unobserve(ol);
if(--pending===0)root.setAttribute("data-rendered-ms",String(Math.round(performance.now())));}
function fillAll(){lists.forEach(fill);}
function outputs(g){var ol=listOf[g],k=ol.getAttribute("data-chunk");if(!bodies[k])bodies[k]=data("out-"+k)||[];return bodies[k][g-ol.getAttribute("data-first")]||{};}
function runs(pre,r){var frag=document.createDocumentFragment();for(var i=0;i<r.length;i++){var x=r[i];if(typeof x==="string"){frag.appendChild(document.createTextNode(x));continue;}
var link=x[2]&&/^https?:\/\//i.test(x[2]),e=el(link?"a":"span",x[1],x[0]);if(link){e.href=x[2];e.rel="noopener noreferrer nofollow";e.target="_blank";}frag.appendChild(e);}pre.appendChild(frag);}
function body(li,g){var r=rows[g],o=outputs(g),d=el("div","body"),meta=el("p","meta"),id=el("a","",r[0]);id.href="#op-"+r[0];meta.appendChild(id);meta.appendChild(document.createTextNode(" · "+r[6]));d.appendChild(meta);
if(o.c){var b=el("button","replay","▶ replay ("+(o.c.e.length?o.c.e[o.c.e.length-1][0].toFixed(1):"0")+" s)");b.type="button";b.addEventListener("click",function(){replay(d,b,o.c);});d.appendChild(b);}
(o.s||[]).forEach(function(s){if(s.l)d.appendChild(el("p","stream",s.l));if(s.r){var pre=el("pre","out");runs(pre,s.r);d.appendChild(pre);}(s.n||[]).forEach(function(n){d.appendChild(el("p","note",n));});});
if(o.none)d.appendChild(el("p","meta","no output"));li.appendChild(d);}
function replay(d,b,c){if(typeof AsciinemaPlayer==="undefined")return;var box=el("div","player"),lines=[JSON.stringify({version:2,width:c.w,height:c.h})];
for(var i=0;i<c.e.length;i++)lines.push(JSON.stringify([c.e[i][0],"o",c.e[i][1]]));d.insertBefore(box,b.nextSibling);b.disabled=true;
AsciinemaPlayer.create({data:lines.join("\n")+"\n"},box,{cols:c.w,rows:c.h,autoPlay:true,idleTimeLimit:2,fit:"width"});}
function open(li,on){li.classList.toggle("open",on);if(on&&!li.querySelector(".body"))body(li,byId[li.id]);}
function show(id){var g=byId[id];if(g===undefined)return null;fill(listOf[g]);var li=liOf[g];li.classList.remove("miss");open(li,true);return li;}
function openTarget(){var h=location.hash;if(h.indexOf("#op-")!==0)return;var li=show(h.slice(1));if(li)li.scrollIntoView();}
document.addEventListener("click",function(e){var a=e.target.closest?e.target.closest("a.row"):null;if(!a||e.button!==0||e.ctrlKey||e.metaKey||e.shiftKey)return;e.preventDefault();var li=a.parentNode;open(li,!li.classList.contains("open"));history.replaceState(null,"",a.getAttribute("href"));});
window.addEventListener("hashchange",openTarget);
var failed=document.getElementById("only-failed");
if(failed)failed.addEventListener("change",function(){fillAll();document.body.classList.toggle("only-failed",failed.checked);});
var themes=["auto","light","dark"],theme=document.getElementById("theme");
if(theme)theme.addEventListener("click",function(){var next=themes[(themes.indexOf(root.getAttribute("data-theme")||"auto")+1)%3];if(next==="auto")root.removeAttribute("data-theme");else root.setAttribute("data-theme",next);theme.textContent="theme: "+next;});
function text(g){if(plain[g]===undefined){var s=rows[g][1]+"\n",o=outputs(g);(o.s||[]).forEach(function(st){(st.r||[]).forEach(function(x){s+=typeof x==="string"?x:x[0];});});plain[g]=s.toLowerCase();}return plain[g];}
var box=document.getElementById("search"),count=document.getElementById("search-count"),timer=0;
function search(){var q=box.value.trim().toLowerCase(),n=0;fillAll();hits=q?[]:null;
for(var g=0;g<rows.length;g++){var li=liOf[g];if(!q){li.classList.remove("miss");li.classList.remove("hit");continue;}
var hit=text(g).indexOf(q)>=0;hits[g]=hit;li.classList.toggle("miss",!hit);li.classList.toggle("hit",hit);if(hit)n++;}
count.textContent=q?n+" of "+rows.length+" operations match":"";}
if(box)box.addEventListener("input",function(){clearTimeout(timer);timer=setTimeout(search,120);});
window.addEventListener("beforeprint",function(){fillAll();for(var g=0;g<rows.length;g++)open(liOf[g],true);});
var observer=typeof IntersectionObserver==="function"?new IntersectionObserver(function(es){es.forEach(function(e){if(e.isIntersecting)fill(e.target);});},{rootMargin:"800px"}):null;
if(lists.length)fill(lists[0]);
if(observer)lists.forEach(function(ol){if(ol.classList.contains("pending"))observer.observe(ol);});
if(lists.length===0)root.setAttribute("data-rendered-ms",String(Math.round(performance.now())));
function background(){var next=null;for(var i=0;i<lists.length&&!next;i++)if(lists[i].classList.contains("pending"))next=lists[i];if(next){fill(next);setTimeout(background,0);}}
window.addEventListener("load",function(){root.setAttribute("data-loaded-ms",String(Math.round(performance.now())));openTarget();setTimeout(background,0);});
})();
""";
}
