"""The digest's chart: relevant articles per week and profile over the last 12 weeks (PNG).

matplotlib with the Agg backend (no display needed); the figure object is created
directly rather than through pyplot, so no global figure state is left behind.
"""

from __future__ import annotations

import io
from typing import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from commentary_monitor.digest.overview import ProfileTrend

COLORS = ["#1a4d8f", "#b5651d", "#2e7d32", "#8e24aa", "#c62828", "#00838f"]


def weekly_chart(trends: Sequence[ProfileTrend]) -> bytes:
    """A PNG line chart, one line per profile, this week's point emphasised."""
    fig = Figure(figsize=(7.2, 2.8), dpi=160)   # sharp on high-density screens at 576 px
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    weeks = list(trends[0].weeks) if trends else []
    x = list(range(len(weeks)))
    for i, t in enumerate(trends):
        color = COLORS[i % len(COLORS)]
        ax.plot(x, t.counts, marker="o", markersize=3.5, linewidth=1.8, color=color, label=t.profile)
        ax.plot(x[-1:], t.counts[-1:], marker="o", markersize=7, color=color)
    ax.set_xticks(x, [w.split("-")[1] for w in weeks], fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=3))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("relevant articles", fontsize=8, color="#5f6368")
    ax.set_title(f"Relevant articles per week, {weeks[0]} to {weeks[-1]}" if weeks else "No data",
                 fontsize=10, loc="left", color="#1f1f1f")
    ax.grid(axis="y", color="#e2ded5", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if trends:
        ax.legend(fontsize=8, frameon=False, loc="upper left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})   # no version stamp: same data, same bytes
    return buf.getvalue()
