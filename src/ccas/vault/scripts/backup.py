"""``ccas-vault-backup``: back up and restore the FileStorage, its blobs and its keys.

Usage::

    ccas-vault-backup backup  [--data var/filestorage] [--to var/backups] [--full]
                              (--keys-to OTHER_DISK | --keys-passphrase-file FILE)
    ccas-vault-backup restore [--from var/backups] --data NEW_FOLDER [--date YYYY-MM-DD-HH-MM-SS]
                              [--keys-from OTHER_DISK] [--keys-passphrase-file FILE]
    ccas-vault-backup check   [--from var/backups] [--keys-from ...] [--keys-passphrase-file ...]

Layout of the backup folder (mode 0700: it holds people's papers)::

    filestorage/          the repozo repository: a full backup (.fsz), then incrementals
                          (.deltafsz), named by their UTC time
    blobs/<stamp>.tar     the blob folder, copied right after the repozo backup <stamp>
    keys/<stamp>.keys.tar.enc   only with a passphrase: the key folder, encrypted

Order matters, and it is repozo first, then the blobs: a transaction only
commits once its blob files are in place, and blob files are never changed in
place (a new revision is a new file), so a blob copy taken after the repozo
backup holds every blob that backup refers to (and maybe newer ones, unused).
Both steps read a live instance safely; do not pack during a backup.

The key folder (``var/ccas-vault-keys``: master keys, seal keys) opens the
papers: without it a restored database is unreadable, and beside the data it
would open a stolen backup.  So ``backup`` refuses to run unless the keys go
either to another folder the operator names (``--keys-to``, ``KEYS_BACKUP=``:
another disk, never inside the data backup), as ``<stamp>.keys.tar``; or
encrypted with a passphrase (``--keys-passphrase-file`` or
``$CCAS_VAULT_BACKUP_PASSPHRASE``: scrypt, then AES-256-GCM), as
``keys/<stamp>.keys.tar.enc`` (decision 0047).

``restore`` rebuilds ``Data.fs`` with ``repozo -R`` (the latest state, or the
state at ``--date``) into a folder that holds no database yet, unpacks the
matching blob copy beside it, adds the saved keys to the key folder (never
replacing a file there), then opens the restored database in another process:
every master key its data keys are wrapped under must be present and open one
paper.  Otherwise it names the missing keys, removes what it restored and
exits 1.  ``check`` is the monthly drill: the latest backup restored into a
temporary folder, ``ccas-vault-check`` on it, one line of verdict, exit 0/1.
"""

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pathlib import Path
import argparse
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time


STAMP = re.compile(r"^(\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)\.(fs|fsz|deltafs|deltafsz)$")
KEY_COPY = re.compile(r"^(\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)\.keys\.tar(\.enc)?$")
PASSPHRASE_ENV = "CCAS_VAULT_BACKUP_PASSPHRASE"
KEY_DIR_ENV = "CCAS_VAULT_KEY_DIR"
MIN_PASSPHRASE = 12
#: Header of an encrypted key copy: magic, then salt (16), nonce (12), AES-GCM ciphertext.
MAGIC = b"CCASVAULTKEYS1\n"
SCRYPT = {"length": 32, "n": 2**15, "r": 8, "p": 1}


class BackupError(RuntimeError):
    """A clear message for the operator (in French, like the rest of the product)."""


def _repozo(*args):
    result = subprocess.run(
        [sys.executable, "-m", "ZODB.scripts.repozo", *args], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BackupError(f"repozo a échoué :\n{result.stderr.strip() or result.stdout.strip()}")
    return result.stderr + result.stdout


def _private_dir(path):
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def stamps(repository):
    """The repozo backups of ``repository``, oldest first (``YYYY-MM-DD-HH-MM-SS``)."""
    if not repository.is_dir():
        return []
    return sorted(m.group(1) for p in repository.iterdir() if (m := STAMP.match(p.name)))


def default_key_dir(data):
    """``$CCAS_VAULT_KEY_DIR``, else ``ccas-vault-keys`` beside the data folder (the
    instances' default: ``var/filestorage`` -> ``var/ccas-vault-keys``)."""
    from_env = os.environ.get(KEY_DIR_ENV)
    return Path(from_env).resolve() if from_env else Path(data).resolve().parent / "ccas-vault-keys"


def _inside(path, folder):
    return path == folder or folder in path.parents


# -- the key copies ---------------------------------------------------------------------


def read_passphrase(passphrase_file=None):
    """The passphrase of the key copies (``--keys-passphrase-file``, else the environment)."""
    if passphrase_file:
        try:
            text = Path(passphrase_file).read_text().strip("\r\n")
        except OSError as error:
            raise BackupError(f"La phrase de passe ne peut être lue ({error}).") from None
    else:
        text = os.environ.get(PASSPHRASE_ENV, "")
    if text and len(text) < MIN_PASSPHRASE:
        raise BackupError(
            f"La phrase de passe des clés est trop courte ({len(text)} caractères) : "
            f"il en faut au moins {MIN_PASSPHRASE}."
        )
    return text or None


def _scrypt(passphrase, salt):
    return Scrypt(salt=salt, **SCRYPT).derive(passphrase.encode())


def seal_keys(plain: bytes, passphrase: str) -> bytes:
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    return MAGIC + salt + nonce + AESGCM(_scrypt(passphrase, salt)).encrypt(nonce, plain, MAGIC)


def open_keys(sealed: bytes, passphrase: str) -> bytes:
    if not sealed.startswith(MAGIC):
        raise BackupError("Ce fichier n'est pas une copie chiffrée des clés.")
    body = sealed[len(MAGIC) :]
    salt, nonce, ciphertext = body[:16], body[16:28], body[28:]
    try:
        return AESGCM(_scrypt(passphrase, salt)).decrypt(nonce, ciphertext, MAGIC)
    except InvalidTag:
        raise BackupError(
            "La phrase de passe n'ouvre pas la copie des clés (ou la copie est altérée)."
        ) from None


def _key_archive(key_dir) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(key_dir.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                tar.add(path, arcname=str(path.relative_to(key_dir)), recursive=False)
    return buffer.getvalue()


def _write_private(path, data):
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    partial.replace(path)


def _check_keys_destination(keys_to, target, data, key_dir):
    """Refuse a key destination inside the data backup, the data or the key folder,
    or one that cannot be written; return a warning (same disk) or ``None``."""
    for folder, what in ((target, "la sauvegarde des données"), (data, "les données"),
                         (key_dir, "le dossier des clés lui-même")):  # fmt: skip
        if _inside(keys_to, folder) or _inside(folder, keys_to):
            raise BackupError(
                f"Les clés ne peuvent pas aller dans {keys_to} : ce dossier contient ou est "
                f"dans {what} ({folder}). Une copie des clés posée à côté des données ouvre "
                "toute la sauvegarde à qui la vole : choisissez un autre disque (KEYS_BACKUP=…) "
                "ou chiffrez-les (KEYS_PASSPHRASE_FILE=…)."
            )
    try:
        _private_dir(keys_to)
        probe = keys_to / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise BackupError(
            f"Le dossier des copies de clés {keys_to} ne peut pas être écrit ({error.strerror})."
        ) from None
    existing = target if target.exists() else target.parent
    if existing.exists() and keys_to.stat().st_dev == existing.stat().st_dev:
        return (
            f"attention : les clés ({keys_to}) sont sur le même disque que la sauvegarde "
            f"des données ({target}) ; en production, mettez-les sur un autre support."
        )
    return None


def _key_copies(folder):
    """``[(stamp, path)]`` of the key copies in ``folder``, oldest first."""
    if not folder or not folder.is_dir():
        return []
    return sorted((m.group(1), p) for p in folder.iterdir() if (m := KEY_COPY.match(p.name)))


def _choose_key_copy(folders, stamp):
    """The key copy saved with the backup ``stamp``, else the newest one."""
    copies = [copy for folder in folders for copy in _key_copies(folder)]
    if not copies:
        return None
    exact = [path for s, path in copies if s == stamp]
    return exact[0] if exact else max(copies)[1]


def install_keys(copy, key_dir, passphrase):
    """Unpack the key copy ``copy`` into ``key_dir``, never replacing a file; the names added."""
    data = copy.read_bytes()
    if copy.name.endswith(".enc"):
        if not passphrase:
            raise BackupError(
                f"La copie des clés {copy} est chiffrée : donnez sa phrase de passe "
                f"(KEYS_PASSPHRASE_FILE=… ou ${PASSPHRASE_ENV})."
            )
        data = open_keys(data, passphrase)
    _private_dir(key_dir)
    added = []
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            target = (key_dir / member.name).resolve()
            if not member.isfile() or not _inside(target, key_dir) or target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _write_private(target, tar.extractfile(member).read())
            added.append(member.name)
    return added


# -- backup ----------------------------------------------------------------------------


def backup(data, target, full=False, keys_to=None, passphrase=None, key_dir=None):
    """Back up ``data`` (Data.fs + blobstorage) into ``target``, and the key folder to
    ``keys_to`` or encrypted with ``passphrase``; return ``(stamp, key copy, warning)``."""
    data, target = Path(data).resolve(), Path(target).resolve()
    key_dir = Path(key_dir).resolve() if key_dir else default_key_dir(data)
    datafs, blobs = data / "Data.fs", data / "blobstorage"
    if not datafs.is_file():
        raise BackupError(f"Aucune base à sauvegarder : {datafs} n'existe pas.")
    if not key_dir.is_dir() or not any(key_dir.iterdir()):
        raise BackupError(
            f"Le dossier des clés {key_dir} est introuvable ou vide : sans lui la sauvegarde "
            "ne pourrait pas être relue. Indiquez-le (--key-dir ou $CCAS_VAULT_KEY_DIR)."
        )
    if keys_to is None and not passphrase:
        raise BackupError(
            "Les clés de chiffrement et de scellement ne sont pas sauvegardées : sans elles la "
            "sauvegarde ne peut pas être relue, et posées à côté d'elle elles l'ouvriraient à "
            "qui la vole. Indiquez un autre disque (make backup KEYS_BACKUP=/chemin, "
            "--keys-to) ou une phrase de passe (KEYS_PASSPHRASE_FILE=/chemin, "
            f"${PASSPHRASE_ENV}). Rien n'a été sauvegardé."
        )
    warning = None
    if keys_to is not None:
        keys_to = Path(keys_to).resolve()
        warning = _check_keys_destination(keys_to, target, data, key_dir)
    _private_dir(target)
    repository = _private_dir(target / "filestorage")
    _repozo("-B", "-z", "-r", str(repository), "-f", str(datafs), *(["-F"] if full else []))
    stamp = stamps(repository)[-1]
    copies = _private_dir(target / "blobs")
    partial = copies / f"{stamp}.tar.partial"
    with tarfile.open(partial, "w") as tar:
        if blobs.is_dir():
            tar.add(blobs, arcname="blobstorage", filter=_without_temporary_files)
    partial.replace(copies / f"{stamp}.tar")
    archive = _key_archive(key_dir)
    if passphrase:
        folder = keys_to or _private_dir(target / "keys")
        key_copy = folder / f"{stamp}.keys.tar.enc"
        _write_private(key_copy, seal_keys(archive, passphrase))
    else:
        key_copy = keys_to / f"{stamp}.keys.tar"
        _write_private(key_copy, archive)
    return stamp, key_copy, warning


def _without_temporary_files(info):
    return None if re.match(r"^blobstorage/tmp(/|$)", info.name) else info


# -- restore ---------------------------------------------------------------------------


def restore_data(source, data, date=None):
    """Restore the backup of ``source`` (the latest, or the one in force at ``date``)
    into the folder ``data``, which must not hold a database yet; return its stamp."""
    source, data = Path(source).resolve(), Path(data).resolve()
    repository = source / "filestorage"
    chosen = [s for s in stamps(repository) if date is None or s <= date]
    if not chosen:
        when = f" antérieure ou égale au {date}" if date else ""
        raise BackupError(f"Aucune sauvegarde{when} dans {repository}.")
    copies = sorted(p.name[: -len(".tar")] for p in (source / "blobs").glob("*.tar"))
    copy = [s for s in copies if s >= chosen[-1] and (date is None or s <= date)]
    if not copy:
        raise BackupError(f"La copie des fichiers de la sauvegarde {chosen[-1]} manque.")
    datafs, blobs = data / "Data.fs", data / "blobstorage"
    if datafs.exists() or (blobs.is_dir() and any(blobs.iterdir())):
        raise BackupError(
            f"{data} contient déjà une base : rien n'a été modifié. "
            "Déplacez ce dossier (ou choisissez-en un autre) avant de restaurer."
        )
    _private_dir(data)
    partial = data / "Data.fs.restoring"
    args = ["-R", "-r", str(repository), "-o", str(partial)]
    _repozo(*args, *(["-D", date] if date else []))
    with tarfile.open(source / "blobs" / f"{copy[0]}.tar") as tar:
        tar.extractall(data, filter="data")
    _private_dir(blobs)
    index = data / "Data.fs.restoring.index"  # restored by repozo when it was saved
    if index.exists():
        index.replace(data / "Data.fs.index")
    partial.replace(datafs)
    return chosen[-1]


def _undo_restore(data):
    for name in ("Data.fs", "Data.fs.index", "Data.fs.lock", "Data.fs.tmp"):
        (data / name).unlink(missing_ok=True)
    shutil.rmtree(data / "blobstorage", ignore_errors=True)


def _probe_env(key_dir):
    env = dict(os.environ)
    env[KEY_DIR_ENV] = str(key_dir)
    return env


def probe_keys(data, key_dir, site="ccas"):
    """Open the restored database in another process (a throw-away instance folder):
    ``{"site", "masters": {id: {"present", "data_keys", "opened", "error"}}, "papers"}``."""
    from ccas.vault.scripts.instance import write_instance

    with tempfile.TemporaryDirectory(prefix="ccas-vault-probe-") as home:
        write_instance(Path(home) / "instance", data=data)
        conf = Path(home) / "instance" / "etc" / "zope.conf"
        result = subprocess.run(
            [sys.executable, "-m", "ccas.vault.scripts.backup", "probe", str(conf), "--site", site],
            capture_output=True,
            text=True,
            env=_probe_env(key_dir),
            cwd=home,
        )
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise BackupError(
            "La base restaurée ne peut pas être ouverte pour vérifier ses clés :\n"
            + (result.stderr.strip()[-2000:] or result.stdout.strip()[-2000:])
        )
    return json.loads(lines[-1])


def _probe(zope_conf, site_id):
    """In the probe process: the master keys the site's data keys need, one paper each."""
    from ccas.vault.encryption import keys
    from ccas.vault.encryption.errors import EncryptionError
    from ccas.vault.scripts.instance import opened_app
    from zope.component.hooks import setSite
    import hashlib

    answer = {"site": False, "masters": {}, "papers": 0}
    with opened_app(zope_conf, abort=True) as app:
        if site_id not in app.objectIds():
            return answer
        site = app[site_id]
        setSite(site)
        answer["site"] = True
        store = keys.registry(site) or {}
        data_keys = {}
        for master_id, _wrapped in store.values():
            data_keys[master_id] = data_keys.get(master_id, 0) + 1
        masters = answer["masters"]
        for master_id, count in sorted(data_keys.items()):
            entry = masters[master_id] = {"present": True, "data_keys": count, "opened": None}
            try:
                keys.master_key(master_id)
            except EncryptionError as error:
                entry.update(present=False, error=str(error))
        waiting = {m for m, entry in masters.items() if entry["present"]}
        brains = site.portal_catalog.unrestrictedSearchResults(portal_type="VaultDocument")
        answer["papers"] = len(brains)
        for brain in brains:
            if not waiting:
                break
            paper = brain._unrestrictedGetObject()
            file = getattr(paper, "file", None)
            entry = store.get(getattr(file, "key_id", None) or "")
            if entry is None or entry[0] not in waiting:
                continue
            master_id = entry[0]
            waiting.discard(master_id)
            path = "/".join(paper.getPhysicalPath())
            try:
                plain = file.data
            except Exception as error:  # EncryptionError, a missing blob…
                masters[master_id]["error"] = f"{path}: {error.__class__.__name__}: {error}"
                continue
            if hashlib.sha256(plain).hexdigest() != paper.sha256:
                masters[master_id]["error"] = f"{path}: SHA-256 differs from the recorded one"
            else:
                masters[master_id]["opened"] = path
    return answer


def key_problems(probe, key_dir):
    """What the probe found wrong, in French (``[]`` when every key opens its paper)."""
    if not probe["site"]:
        return ["la base restaurée ne contient pas le site attendu (--site)"]
    problems = []
    missing = sorted(m for m, entry in probe["masters"].items() if not entry["present"])
    if missing:
        names = ", ".join(f"master-{m}.key" for m in missing)
        problems.append(
            f"il manque la ou les clés maîtresses {names} dans {key_dir} : restaurez-les depuis "
            f"la copie des clés (KEYS_BACKUP=… ou KEYS_PASSPHRASE_FILE=…, --keys-from) ou "
            f"définissez CCAS_VAULT_MASTER_KEY"
        )
    for master_id, entry in sorted(probe["masters"].items()):
        if entry["present"] and entry.get("error"):
            problems.append(f"la clé maîtresse {master_id} n'ouvre pas {entry['error']}")
    return problems


def restore(source, data, date=None, keys_from=None, passphrase=None, key_dir=None, site="ccas"):
    """Restore data and keys, then check every needed key opens a paper; return
    ``(stamp, probe, keys added)``.  Undoes the data restore and raises when a key is missing."""
    source, data = Path(source).resolve(), Path(data).resolve()
    key_dir = Path(key_dir).resolve() if key_dir else default_key_dir(data)
    keys_from = Path(keys_from).resolve() if keys_from else None
    if keys_from is not None and not keys_from.is_dir():
        raise BackupError(f"Le dossier des copies de clés {keys_from} n'existe pas.")
    stamp = restore_data(source, data, date)
    try:
        added = []
        copy = _choose_key_copy([f for f in (keys_from, source / "keys") if f], stamp)
        if copy is not None and (keys_from is not None or passphrase):
            added = install_keys(copy, key_dir, passphrase)
        probe = probe_keys(data, key_dir, site)
        problems = key_problems(probe, key_dir)
        if problems:
            raise BackupError(
                f"La sauvegarde {stamp} ne peut pas être relue : "
                + " ; ".join(problems)
                + f". La base restaurée a été retirée de {data} : rien n'a été gardé."
            )
    except BaseException:
        _undo_restore(data)
        raise
    return stamp, probe, added


# -- the drill -------------------------------------------------------------------------


def restore_check(source, keys_from=None, passphrase=None, site="ccas", work=None):
    """Restore the latest backup into a temporary folder and check it; return
    ``(ok, one-line verdict)``."""
    started = time.monotonic()
    source = Path(source).resolve()
    folder = Path(tempfile.mkdtemp(prefix="ccas-vault-restore-check-", dir=work))
    try:
        folder.chmod(0o700)
        data, key_dir = folder / "data", folder / "ccas-vault-keys"
        try:
            stamp, probe, _added = restore(
                source, data, keys_from=keys_from, passphrase=passphrase, key_dir=key_dir,
                site=site,
            )  # fmt: skip
        except BackupError as error:
            return False, f"restore-check FAILED: {_one_line(error)}"
        from ccas.vault.scripts.instance import write_instance

        write_instance(folder / "instance", data=data)
        checked = subprocess.run(
            [sys.executable, "-m", "ccas.vault.check", str(folder / "instance/etc/zope.conf"),
             "--site", site, "--json"],
            capture_output=True, text=True, env=_probe_env(key_dir), cwd=folder,
        )  # fmt: skip
        try:
            report = json.loads(checked.stdout)
        except ValueError:
            tail = _one_line(checked.stderr.strip()[-500:] or checked.stdout.strip()[-500:])
            return False, f"restore-check FAILED: backup {stamp}: ccas-vault-check failed: {tail}"
        masters = len(probe["masters"])
        counts = ", ".join(f"{n} {family}" for family, n in report["checked"].items())
        head = (
            f"backup {stamp} restored, {probe['papers']} papers, {masters} master key(s) "
            f"present and opening a paper, ccas-vault-check: "
        )
        seconds = f"({time.monotonic() - started:.0f} s)"
        if checked.returncode == 0 and not report["problems"]:
            return True, f"restore-check OK: {head}no problem ({counts}) {seconds}"
        kinds = {}
        for problem in report["problems"]:
            kinds[problem["kind"]] = kinds.get(problem["kind"], 0) + 1
        found = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        return (
            False,
            f"restore-check FAILED: {head}{len(report['problems'])} problems: {found} {seconds}",
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _one_line(error):
    return " ".join(str(error).split())


# -- command ---------------------------------------------------------------------------


def _key_options(command, direction):
    if direction == "to":
        command.add_argument("--keys-to", help="folder on another disk for the key copies")
    else:
        command.add_argument("--keys-from", help="folder of the key copies (KEYS_BACKUP)")
    command.add_argument(
        "--keys-passphrase-file",
        help=f"file holding the passphrase of the encrypted key copies (else ${PASSPHRASE_ENV})",
    )


def parser():
    parser = argparse.ArgumentParser(prog="ccas-vault-backup", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    save = sub.add_parser("backup", help="repozo backup of Data.fs, a copy of the blobs, the keys")
    save.add_argument("--data", default="var/filestorage", help="folder of Data.fs and blobs")
    save.add_argument("--to", default="var/backups", help="backup folder")
    save.add_argument("--full", action="store_true", help="a full backup, not an incremental")
    save.add_argument("--key-dir", help="key folder (default: ccas-vault-keys beside --data)")
    _key_options(save, "to")
    back = sub.add_parser("restore", help="rebuild Data.fs, the blobs and the keys; check them")
    back.add_argument("--from", dest="source", default="var/backups", help="backup folder")
    back.add_argument("--data", required=True, help="folder to restore into (no Data.fs yet)")
    back.add_argument("--date", help="restore the state at this UTC time (YYYY-MM-DD-HH-MM-SS)")
    back.add_argument("--key-dir", help="key folder (default: ccas-vault-keys beside --data)")
    back.add_argument("--site", default="ccas", help="id of the Plone site (default: ccas)")
    _key_options(back, "from")
    drill = sub.add_parser(
        "check", help="the restore drill: restore into a temporary folder, check"
    )
    drill.add_argument("--from", dest="source", default="var/backups", help="backup folder")
    drill.add_argument("--site", default="ccas", help="id of the Plone site (default: ccas)")
    drill.add_argument("--work", help="folder for the temporary restore (default: $TMPDIR)")
    _key_options(drill, "from")
    probe = sub.add_parser("probe", help=argparse.SUPPRESS)
    probe.add_argument("zope_conf")
    probe.add_argument("--site", default="ccas")
    return parser


def main(argv=None):
    args = parser().parse_args(argv)
    os.umask(0o077)
    if args.command == "probe":
        print(json.dumps(_probe(args.zope_conf, args.site)))
        return 0
    try:
        passphrase = read_passphrase(args.keys_passphrase_file)
        if args.command == "backup":
            stamp, key_copy, warning = backup(
                args.data, args.to, full=args.full, keys_to=args.keys_to,
                passphrase=passphrase, key_dir=args.key_dir,
            )  # fmt: skip
            if warning:
                print(f"ccas-vault-backup : {warning}", file=sys.stderr)
            sealed = " (chiffrée par la phrase de passe)" if passphrase else ""
            print(f"Sauvegarde {stamp} : {Path(args.to).resolve()} ; clés{sealed} : {key_copy}")
        elif args.command == "restore":
            stamp, probe, added = restore(
                args.source, args.data, date=args.date, keys_from=args.keys_from,
                passphrase=passphrase, key_dir=args.key_dir, site=args.site,
            )  # fmt: skip
            key_dir = Path(args.key_dir).resolve() if args.key_dir else default_key_dir(args.data)
            opened = sum(1 for entry in probe["masters"].values() if entry["opened"])
            print(
                f"Sauvegarde {stamp} restaurée dans {Path(args.data).resolve()} ; "
                f"{len(added)} fichier(s) de clés ajouté(s) à {key_dir} ; "
                f"{len(probe['masters'])} clé(s) maîtresse(s) présente(s), "
                f"{opened} pièce(s) ouverte(s) (une par clé)."
            )
        else:
            ok, verdict = restore_check(
                args.source, keys_from=args.keys_from, passphrase=passphrase, site=args.site,
                work=args.work,
            )  # fmt: skip
            print(verdict)
            return 0 if ok else 1
    except BackupError as error:
        print(f"ccas-vault-backup : {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
