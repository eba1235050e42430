"""The benchmark chart, written as SVG by hand (no plotting library): one horizontal bar per
comparison, the ratio of an implementation's median to its group's reference, with a line at 1.0.
Green: at least as good as the reference (higher for throughput and rates, lower for latency,
memory); red: worse."""
from xml.sax.saxutils import escape


def write_svg(result, path):
    rows = [r for r in result["rows"] if r.get("ratio") is not None and "cpu" not in r["metric"]]
    width, left, bar_w, row_h, top = 980, 430, 460, 18, 56
    vmax = max([2.0] + [min(r["ratio"], 6.0) for r in rows])
    scale = bar_w / vmax
    height = top + row_h * len(rows) + 60
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="20" font-size="15" font-weight="bold">ssx benchmark: median / reference '
           '(same run, same placement)</text>',
           '<text x="10" y="38" fill="#555">%s mode, %s; %s CPUs, %s. Green: as good as the reference or '
           'better.</text>' % (escape(result["mode"]), escape(result["date"]), result["host"]["cpus"],
                               escape(result["host"]["openssl"]))]
    prev = None
    for i, r in enumerate(rows):
        y = top + i * row_h
        key = (r["group"], r["placement"])
        if prev is not None and key != prev:
            out.append('<line x1="10" x2="%d" y1="%d" y2="%d" stroke="#ddd"/>' % (width - 10, y - 2, y - 2))
        prev = key
        better = r["ratio"] >= 1.0 if r["higher_is_better"] else r["ratio"] <= 1.0
        label = "%s [%s] %s / %s: %s" % (r["group"], r["placement"], r["impl"], r["reference"], r["metric"])
        w = min(r["ratio"], vmax) * scale
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (left - 8, y + 12, escape(label)))
        out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>'
                   % (left, y + 2, w, row_h - 5, "#3a9d5d" if better else "#c8553d"))
        out.append('<text x="%.1f" y="%d">%.3f</text>' % (left + w + 4, y + 12, r["ratio"]))
    x1 = left + scale
    out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="black" stroke-dasharray="4 3"/>'
               % (x1, x1, top - 4, top + row_h * len(rows)))
    out.append('<text x="%.1f" y="%d" text-anchor="middle">1.0</text>' % (x1, top + row_h * len(rows) + 14))
    y = top + row_h * len(rows) + 36
    reached = [t for t in result.get("targets", []) if t["reached"] is not None]
    ok = sum(1 for t in reached if t["reached"])
    out.append('<text x="10" y="%d" fill="#333">Targets reached: %d of %d measured (details in the JSON and '
               'docs/performance.md)</text>' % (y, ok, len(reached)))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
