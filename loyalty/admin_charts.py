"""Server-rendered SVG charts for the admin dashboard (no JavaScript, no CDN): grouped bars over labels."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#0a7d5a", "#f5b700", "#6b7280", "#2563eb")


def bar_chart_svg(
    *, labels: list[str], series: list[tuple[str, list]], width: int = 720, height: int = 200
) -> SafeString:
    """Grouped vertical bars, one group per label, one bar per series, with a legend and the top value."""
    if not labels or not series:
        return mark_safe("")
    top = max((float(v) for _name, values in series for v in values), default=0) or 1.0
    plot_h, left, bottom = height - 40, 8, 20
    group_w = (width - left) / len(labels)
    bar_w = max(1.0, group_w * 0.8 / len(series))
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{left}" y="12" font-size="11">max {escape(_fmt(top))}</text>',
    ]
    for s_index, (name, _values) in enumerate(series):
        x = width - 150 * (len(series) - s_index)
        color = PALETTE[s_index % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="3" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{x + 14}" y="12" font-size="11">{escape(name)}</text>')
    for l_index, label in enumerate(labels):
        x0 = left + l_index * group_w + group_w * 0.1
        for s_index, (name, values) in enumerate(series):
            value = float(values[l_index])
            bar_h = max(0.0, plot_h * value / top) if top else 0
            y = height - bottom - bar_h
            color = PALETTE[s_index % len(PALETTE)]
            parts.append(
                f'<rect x="{x0 + s_index * bar_w:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" '
                f'fill="{color}"><title>{escape(label)} {escape(name)}: {escape(_fmt(value))}</title></rect>'
            )
        if len(labels) <= 16 or l_index % max(1, len(labels) // 12) == 0:
            parts.append(f'<text x="{x0:.1f}" y="{height - 5}" font-size="10">{escape(label)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text is escaped above


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
