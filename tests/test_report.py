"""Report pieces that need no case: the GPS scatter plot is self-contained SVG."""

from __future__ import annotations

from heroes.report import _gps_svg


def test_gps_plot_is_offline_svg_with_one_dot_per_point() -> None:
    svg = _gps_svg([(52.5, 13.4), (48.1, 11.6), (52.5, 13.4)])
    assert svg.startswith("<svg") and svg.count("<circle") == 3
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no tiles, no network
    assert _gps_svg([]) == ""
