"""Server-side SVG charts built as text: escaped, titled, no script, no external resource.

Each chart has a ``<title>`` and a ``<desc>`` (read by screen readers through
``aria-labelledby``); the page also gives its numbers as a table.  A value of
``None`` (a masked cell) draws no bar or point.
"""

from xml.sax.saxutils import escape
from xml.sax.saxutils import quoteattr


WIDTH, PLOT_HEIGHT = 640, 220
LEFT, RIGHT, TOP, AXIS = 48, 16, 16, 28
LEGEND_LINE = 18
COLOURS = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#a61c00")


def _number(value):
    return f"{value:g}".replace(".", ",")


def _scale(series):
    values = [v for _name, values in series for v in values if v is not None]
    top = max(values, default=0)
    return top if top > 0 else 1


def _height(series):
    return TOP + PLOT_HEIGHT + AXIS + LEGEND_LINE * len(series) + 8


def _frame(chart_id, title, description, body, legend, series):
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    height = _height(series)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id={quoteattr(chart_id)} role="img" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        'style="max-width: 100%; height: auto" '
        f'aria-labelledby="{title_id} {desc_id}" class="ccas-chart">'
        f"<title id={quoteattr(title_id)}>{escape(title)}</title>"
        f"<desc id={quoteattr(desc_id)}>{escape(description)}</desc>"
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>'
        f"{body}{legend}</svg>"
    )


BASE = TOP + PLOT_HEIGHT  # the y of the horizontal axis


def _axes(labels, top):
    plot_h = PLOT_HEIGHT
    parts = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{BASE}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{BASE}" x2="{WIDTH - RIGHT}" y2="{BASE}" stroke="#333"/>',
    ]
    for fraction in (0, 0.5, 1):
        y = BASE - fraction * plot_h
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#222">{escape(_number(round(top * fraction, 1)))}</text>'
        )
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    for index, text in enumerate(labels):
        x = LEFT + step * (index + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{BASE + 18}" font-size="12" '
            f'text-anchor="middle" fill="#222">{escape(text)}</text>'
        )
    return "".join(parts), step, plot_h


def _legend(series):
    parts = []
    for index, (name, _values) in enumerate(series):
        x = LEFT
        y = BASE + AXIS + LEGEND_LINE * (index + 1) - 4
        colour = COLOURS[index % len(COLOURS)]
        parts.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 18}" y="{y}" font-size="12" fill="#222">{escape(name)}</text>'
        )
    return "".join(parts)


def _masked(x):
    """The star of a masked month, just above the axis."""
    return (
        f'<text x="{x:.1f}" y="{BASE - 6}" font-size="14" text-anchor="middle" fill="#222">*</text>'
    )


def bar_chart(chart_id, title, description, labels, series):
    """Grouped bars: ``labels`` along the axis, ``series`` = ``[(name, values)]``."""
    top = _scale(series)
    axes, step, plot_h = _axes(labels, top)
    width = step * 0.8 / max(len(series), 1)
    bars = []
    for s_index, (name, values) in enumerate(series):
        colour = COLOURS[s_index % len(COLOURS)]
        for index, value in enumerate(values):
            if value is None:
                if s_index == 0:
                    bars.append(_masked(LEFT + step * (index + 0.5)))
                continue
            height = plot_h * value / top
            x = LEFT + step * index + step * 0.1 + width * s_index
            y = BASE - height
            bars.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
                f'fill="{colour}"><title>{escape(f"{name}, {labels[index]} : {_number(value)}")}'
                "</title></rect>"
            )
    return _frame(chart_id, title, description, axes + "".join(bars), _legend(series), series)


def line_chart(chart_id, title, description, labels, series):
    """Lines with points; a masked value breaks the line."""
    top = _scale(series)
    axes, step, plot_h = _axes(labels, top)
    lines = []
    for s_index, (name, values) in enumerate(series):
        colour = COLOURS[s_index % len(COLOURS)]
        points = []
        for index, value in enumerate(values):
            if value is None:
                points.append(None)
                if s_index == 0:
                    lines.append(_masked(LEFT + step * (index + 0.5)))
                continue
            x = LEFT + step * (index + 0.5)
            y = BASE - plot_h * value / top
            points.append((x, y))
            lines.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">'
                f"<title>{escape(f'{name}, {labels[index]} : {_number(value)}')}</title></circle>"
            )
        run = []
        for point in [*points, None]:
            if point is None:
                if len(run) > 1:
                    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                    lines.append(
                        f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                        'stroke-width="2"/>'
                    )
                run = []
            else:
                run.append(point)
    return _frame(chart_id, title, description, axes + "".join(lines), _legend(series), series)
