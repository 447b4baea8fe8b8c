"""Every history chain (vaults, the site) verified by :func:`ccas.vault.history.api.verify`,
as ``ccas-vault-history-verify`` does."""


class HistoryCheck:
    family = "history"

    def __init__(self, site, report, repair=()):
        self.report = report

    def visit(self, obj, path, vault):
        from ccas.vault.history.api import verify
        from ccas.vault.history.storage import get_history

        if get_history(obj) is None:
            return
        self.report.count("history")
        failure = verify(obj)
        if failure is not None:
            self.report.add(
                "history_broken",
                path,
                f"entry {failure.seq}: {failure.reason}",
                f"entrée {failure.seq} : chaîne rompue ({failure.reason})",
            )

    def finish(self):
        pass
