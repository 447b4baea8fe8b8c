"""``ccas-vault-backup``: back up and restore the FileStorage and its blobs (repozo + tar).

Usage::

    ccas-vault-backup backup  [--data var/filestorage] [--to var/backups] [--full]
    ccas-vault-backup restore [--from var/backups] --data NEW_FOLDER [--date YYYY-MM-DD-HH-MM-SS]

Layout of the backup folder (mode 0700: it holds people's papers)::

    filestorage/          the repozo repository: a full backup (.fsz), then incrementals
                          (.deltafsz), named by their UTC time
    blobs/<stamp>.tar     the blob folder, copied right after the repozo backup <stamp>

Order matters, and it is repozo first, then the blobs: a transaction only
commits once its blob files are in place, and blob files are never changed in
place (a new revision is a new file), so a blob copy taken after the repozo
backup holds every blob that backup refers to (and maybe newer ones, unused).
Both steps read a live instance safely; do not pack during a backup.

``restore`` rebuilds ``Data.fs`` with ``repozo -R`` (the latest state, or the
state at ``--date``) into a folder that holds no database yet, then unpacks
the matching blob copy beside it.  The seal and encryption keys live outside
the database, in the key folder: back it up separately (see docs/deploy.md).
"""

from pathlib import Path
import argparse
import os
import re
import subprocess
import sys
import tarfile


STAMP = re.compile(r"^(\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)\.(fs|fsz|deltafs|deltafsz)$")


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


def backup(data, target, full=False):
    """Back up ``data`` (Data.fs + blobstorage) into ``target``; return the backup's stamp."""
    data, target = Path(data).resolve(), Path(target).resolve()
    datafs, blobs = data / "Data.fs", data / "blobstorage"
    if not datafs.is_file():
        raise BackupError(f"Aucune base à sauvegarder : {datafs} n'existe pas.")
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
    return stamp


def _without_temporary_files(info):
    return None if re.match(r"^blobstorage/tmp(/|$)", info.name) else info


def restore(source, data, date=None):
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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ccas-vault-backup", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    save = sub.add_parser("backup", help="repozo backup of Data.fs, then a copy of the blobs")
    save.add_argument("--data", default="var/filestorage", help="folder of Data.fs and blobs")
    save.add_argument("--to", default="var/backups", help="backup folder")
    save.add_argument("--full", action="store_true", help="a full backup, not an incremental")
    back = sub.add_parser("restore", help="rebuild Data.fs and the blobs in a new folder")
    back.add_argument("--from", dest="source", default="var/backups", help="backup folder")
    back.add_argument("--data", required=True, help="folder to restore into (no Data.fs yet)")
    back.add_argument("--date", help="restore the state at this UTC time (YYYY-MM-DD-HH-MM-SS)")
    args = parser.parse_args(argv)
    os.umask(0o077)
    try:
        if args.command == "backup":
            stamp = backup(args.data, args.to, full=args.full)
            print(f"Sauvegarde {stamp} : {Path(args.to).resolve()}")
        else:
            stamp = restore(args.source, args.data, date=args.date)
            print(f"Sauvegarde {stamp} restaurée dans {Path(args.data).resolve()}")
    except BackupError as error:
        print(f"ccas-vault-backup : {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
