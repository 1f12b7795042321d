"""The KPI report: a static site of the published KPI scorecard (`nyckeltal report`).

`build_report(published, out)` writes `index.html` (one card per KPI), one page per KPI
family (segment breakdown, formula in words, what to do when off track) and `assets/`.
"""

from nyckeltal.report.render import ReportResult, build_report

__all__ = ["ReportResult", "build_report"]
