"""Site level: one walk of the content, each family of checks looking at each object."""

from ccas.vault.check.report import Report


def check_site(app_or_site, repair=(), report=None, skip=()):
    report = Report() if report is None else report
    return report
