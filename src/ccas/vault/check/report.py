"""The checker's report: problems (kind, path, English and French message) and counts."""

from dataclasses import dataclass
from dataclasses import field


#: Every kind of problem, with its short description (English, French).
KINDS = {
    "unreadable_record": ("a database record cannot be read", "un enregistrement illisible"),
    "dangling_reference": (
        "a reference to an object that has no record",
        "une référence vers un objet absent de la base",
    ),
    "class_mismatch": (
        "a reference names another class than its target's record (one id given to two objects)",
        "une référence désigne une autre classe que celle de sa cible "
        "(un même identifiant donné à deux objets)",
    ),
    "entry_mismatch": (
        "a folder entry holds another object than the content it names",
        "une entrée de dossier contient un autre objet que le contenu qu'elle désigne",
    ),
    "blob_missing": ("a file is missing from the blob storage", "un fichier manque au stockage"),
    "catalog_orphan": (
        "a catalog entry leads to nothing",
        "une entrée du catalogue ne mène à rien",
    ),
    "catalog_stale": (
        "a catalog entry leads to another object than the one indexed",
        "une entrée du catalogue mène à un autre objet que celui indexé",
    ),
    "not_indexed": ("a content object is not in the catalog", "un contenu absent du catalogue"),
    "indexed_twice": (
        "a content object is in the catalog more than once",
        "un contenu figure plusieurs fois au catalogue",
    ),
    "duplicate_uid": (
        "two content objects share one UID",
        "deux contenus partagent le même identifiant (UID)",
    ),
    "receipt_without_document": (
        "a GED letter told 'delivered' has no document",
        "un courrier GED annoncé « remis » n'a pas de document",
    ),
    "receipt_wrong_document": (
        "a GED receipt leads to another document than the one delivered",
        "un accusé GED mène à un autre document que celui remis",
    ),
    "document_without_receipt": (
        "a GED letter in a vault has no delivered receipt",
        "un courrier GED d'un coffre n'a pas d'accusé de remise",
    ),
    "delivered_twice": (
        "one GED letter is delivered twice in a vault",
        "un même courrier GED est remis deux fois dans un coffre",
    ),
    "hash_mismatch": (
        "a paper's file does not match its recorded or sealed SHA-256",
        "le fichier d'une pièce ne correspond pas à son empreinte SHA-256 enregistrée ou scellée",
    ),
    "seal_invalid": (
        "a certified paper's seal does not hold",
        "le sceau d'une pièce certifiée n'est pas valide",
    ),
    "file_unreadable": ("a paper's file cannot be read", "le fichier d'une pièce est illisible"),
    "key_missing": (
        "a paper's master key is not on this server: restore it from the key backup",
        "la clé maîtresse d'une pièce manque sur ce serveur : "
        "restaurez-la depuis la copie des clés",
    ),
    "history_broken": (
        "a vault history chain is broken",
        "la chaîne d'historique d'un coffre est rompue",
    ),
}

#: The families of checks, in the order they run (``checked`` counts use these keys).
FAMILIES = ("storage", "catalog", "receipts", "blobs", "history")


@dataclass
class Problem:
    """One problem: its ``kind`` (a key of :data:`KINDS`), where, and what (en, fr)."""

    kind: str
    path: str
    message_en: str
    message_fr: str

    def as_dict(self):
        return {
            "kind": self.kind,
            "path": self.path,
            "message_en": self.message_en,
            "message_fr": self.message_fr,
        }


@dataclass
class Report:
    """What the checker found: ``problems``, ``checked`` counts by family, ``repaired``."""

    problems: list = field(default_factory=list)
    checked: dict = field(default_factory=dict)
    repaired: list = field(default_factory=list)  # Problem-like: what --repair fixed
    seconds: dict = field(default_factory=dict)  # time spent by family

    def add(self, kind, path, message_en, message_fr):
        if kind not in KINDS:
            raise ValueError(f"unknown problem kind: {kind!r}")
        problem = Problem(kind, path, message_en, message_fr)
        self.problems.append(problem)
        return problem

    def count(self, family, number=1):
        self.checked[family] = self.checked.get(family, 0) + number

    def merge(self, other):
        self.problems.extend(other.problems)
        self.repaired.extend(other.repaired)
        for family, number in other.checked.items():
            self.count(family, number)
        self.seconds.update(other.seconds)
        return self

    @property
    def ok(self):
        return not self.problems

    def kinds(self):
        """``{kind: number of problems}``."""
        counts = {}
        for problem in self.problems:
            counts[problem.kind] = counts.get(problem.kind, 0) + 1
        return counts

    def as_dict(self):
        return {
            "problems": [problem.as_dict() for problem in self.problems],
            "checked": dict(self.checked),
            "repaired": [problem.as_dict() for problem in self.repaired],
            "seconds": {name: round(value, 3) for name, value in self.seconds.items()},
        }

    def summary(self):
        """One line (English), for logs and cron mails."""
        checked = ", ".join(f"{number} {family}" for family, number in self.checked.items())
        status = "OK" if self.ok else "PROBLEMS"
        line = f"check {status}: {len(self.problems)} problems ({checked})"
        if self.repaired:
            line += f", {len(self.repaired)} repaired"
        return line

    def text(self):
        """The readable report: each problem in French and English, then the counts."""
        lines = []
        for problem in self.problems:
            lines.append(f"[{problem.kind}] {problem.path}")
            lines.append(f"  FR : {problem.message_fr}")
            lines.append(f"  EN : {problem.message_en}")
        for repaired in self.repaired:
            lines.append(f"[réparé / repaired: {repaired.kind}] {repaired.path}")
            lines.append(f"  FR : {repaired.message_fr}")
            lines.append(f"  EN : {repaired.message_en}")
        checked_fr = ", ".join(f"{family} : {number}" for family, number in self.checked.items())
        checked_en = ", ".join(f"{family}: {number}" for family, number in self.checked.items())
        if self.ok:
            lines.append(f"Vérification : aucun problème ({checked_fr}).")
            lines.append(f"Check: no problem ({checked_en}).")
        else:
            lines.append(f"Vérification : {len(self.problems)} problème(s) ({checked_fr}).")
            lines.append(f"Check: {len(self.problems)} problem(s) ({checked_en}).")
            for kind, number in sorted(self.kinds().items()):
                en, fr = KINDS[kind]
                lines.append(f"  {number} × {kind} — {fr} / {en}")
        return "\n".join(lines)
