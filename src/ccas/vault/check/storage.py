"""Storage level: every record reachable from the root, its references and its blob."""

from ccas.vault.check.report import Report


def check_storage(storage, report=None):
    report = Report() if report is None else report
    report.count("storage", 0)
    return report
