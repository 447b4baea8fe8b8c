"""``ccas-vault-instance``: write a Zope instance and create the CCAS site.

One layout serves every mode, so that ``make start`` (embedded ZODB) and
``make start-zeo`` (ZEO server + clients) work on the same data::

    var/filestorage/Data.fs     the database (folder mode 0700)
    var/filestorage/blobstorage the files (blobs)
    var/instance/etc/           embedded instance: zope.conf, zope.ini, site.zcml
    var/zeo/etc/zeo.conf        ZEO server serving the same Data.fs and blobs
    var/client1/etc/ ...        ZEO clients
    var/instance-pg/etc/        RelStorage client of PostgreSQL (``make start-pg``: the
                                database, blobs included, is in PostgreSQL instead)

Sub-commands::

    ccas-vault-instance init DIR [--data DATA] [--port 8080] [--zeo-address HOST:PORT]
                             [--clock-interval 60] [--now-file PATH] [--public-url URL]
    ccas-vault-instance init DIR --relstorage-dsn "dbname=ccas host=... port=..."
    ccas-vault-instance zeo DIR [--data DATA] --address HOST:PORT
    ccas-vault-instance site DIR [--site-id ccas] [--demo] [--smtp-port 8025]
    ccas-vault-instance mailbox DIR [--port 8025]   (the demo's mails and SMS: scripts/mailbox.py)

``site`` creates (once) the Zope manager (``admin``, password from
``ADMIN_PASSWORD``, default ``admin``) and a French Plone site with
``ccas.vault:default``; ``--demo`` adds ``ccas.vault:demo`` and prints the
demo accounts.

``init`` writes the clock's settings into the ``<environment>`` section of
``zope.conf`` (decision 0032): ``CCAS_VAULT_CLOCK_INTERVAL`` (``--clock-interval``,
seconds between two runs of the clock jobs inside the server, 60 by default, 0
for none: with several clients of one database, only one runs them) and, with
``--now-file PATH``, ``CCAS_VAULT_NOW_FILE`` (the file that sets the product's
clock, for demonstrations and training: ``ccas.vault.clock``), and
``CCAS_VAULT_PUBLIC_URL`` (``--public-url``, by default the address the server
listens on): the address in the links of the mails the clock sends
(``ccas.vault.public_url``).
"""

from ccas.vault.public_url import default_public_url
from ccas.vault.public_url import request_environ
from contextlib import contextmanager
from pathlib import Path
import argparse
import os
import sys


SITE_ID = "ccas"
SITE_TITLE = "CCAS de Démoville"
CLASSIC_UI_PROFILES = (
    "plone.app.contenttypes:default",
    "plone.app.layout:default",
    "plonetheme.barceloneta:default",
)

ZOPE_CONF = """\
%define INSTANCE {home}
%define DATA {data}
{imports}
instancehome $INSTANCE
clienthome $INSTANCE/var
debug-mode off
security-policy-implementation C
verbose-security off
default-zpublisher-encoding utf-8
python-check-interval 1000
# A request that loses a ZODB conflict is replayed up to 10 times (Zope's default: 3):
# under load, 3 lost 4 % of the requests (bench/bench_load.py, decision 0024).
max-conflict-retries 10

<environment>
  CHAMELEON_CACHE $INSTANCE/var/cache
  zope_i18n_compile_mo_files true
  zope_i18n_allowed_languages fr en
  TZ Europe/Paris
{clock}</environment>

<dos_protection>
  form-memory-limit 64MB
  form-disk-limit 1GB
</dos_protection>

<zodb_db main>
  cache-size 30000
{storage}
  mount-point /
</zodb_db>
"""

FILESTORAGE = """\
  <blobstorage>
    blob-dir $DATA/blobstorage
    <filestorage>
      path $DATA/Data.fs
    </filestorage>
  </blobstorage>"""

# ZEO's client storage, with the fix of decision 0039: ZEO's own keeps the object ids it
# reserved across a crash of the server, which gives them again (one oid, two objects).
ZEOCLIENT = """\
  # ZEO's <clientstorage>, whose new oids stay unique when the ZEO server restarts after
  # a crash (ccas.vault.zeoclient, decision 0039)
  <ccasclientstorage>
    server {address}
    storage 1
    name zeostorage
    cache-size 128MB
    blob-dir $DATA/blobstorage
    shared-blob-dir on
  </ccasclientstorage>"""

# RelStorage on PostgreSQL (decision 0023): the blobs live in the database too
# (``shared-blob-dir false``); each Zope process keeps a size-limited local cache.
RELSTORAGE = """\
  <relstorage>
    blob-dir $INSTANCE/var/blobcache
    shared-blob-dir false
    blob-cache-size 1gb
    keep-history true
    <postgresql>
      dsn {dsn}
    </postgresql>
  </relstorage>"""

ZOPE_INI = """\
[app:zope]
use = egg:Zope#main
zope_conf = %(here)s/zope.conf

[server:main]
use = egg:waitress#main
host = {host}
port = {port}
threads = {threads}
clear_untrusted_proxy_headers = false

[filter:translogger]
use = egg:Paste#translogger
setup_console_handler = False

[pipeline:main]
pipeline =
    egg:Zope#httpexceptions
    translogger
    zope

[loggers]
keys = root, waitress.queue, waitress, wsgi

[handlers]
keys = console, accesslog, eventlog

[formatters]
keys = generic, message

[formatter_generic]
format = %(asctime)s %(levelname)s [%(name)s:%(lineno)s][%(threadName)s] %(message)s
datefmt = %Y-%m-%d %H:%M:%S

[formatter_message]
format = %(message)s

[logger_root]
level = INFO
handlers = console, eventlog

[logger_waitress.queue]
level = INFO
handlers = eventlog
qualname = waitress.queue
propagate = 0

[logger_waitress]
level = INFO
handlers = eventlog
qualname = waitress
propagate = 0

[logger_wsgi]
level = WARN
handlers = accesslog
qualname = wsgi
propagate = 0

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[handler_accesslog]
class = FileHandler
args = (r'{home}/var/log/access.log', 'a')
level = INFO
formatter = message

[handler_eventlog]
class = FileHandler
args = (r'{home}/var/log/event.log', 'a')
level = INFO
formatter = generic
"""

#: What an instance's ``site.zcml`` loads before the products, as every Zope
#: instance does (plone.recipe.zope2instance writes the same): the redefinition
#: makes every ``zope2.Public`` registration loaded after it need ``zope2.View``.
#: The test layers load these very lines (``ccas.vault.testing``, decision 0031).
SITE_ZCML_PRELUDE = """\
  <include package="Zope2.App" />
  <include package="Products.Five" />
  <meta:redefinePermission from="zope2.Public" to="zope2.View" />
"""

SITE_ZCML = """\
<configure
    xmlns="http://namespaces.zope.org/zope"
    xmlns:meta="http://namespaces.zope.org/meta"
    xmlns:five="http://namespaces.zope.org/five">

{prelude}
  <five:loadProducts file="meta.zcml" />
  <five:loadProducts />
{includes}
  <five:loadProductsOverrides />

  <securityPolicy component="AccessControl.security.SecurityPolicy" />

</configure>
"""

ZEO_CONF = """\
%define HOME {home}
%define DATA {data}

<zeo>
  address {address}
  read-only false
  invalidation-queue-size 1000
  pid-filename $HOME/var/zeo.pid
</zeo>

<blobstorage 1>
  blob-dir $DATA/blobstorage
  <filestorage>
    path $DATA/Data.fs
  </filestorage>
</blobstorage>

<eventlog>
  level INFO
  <logfile>
    path $HOME/var/log/zeo.log
    format %(asctime)s %(message)s
  </logfile>
</eventlog>
"""


def _prepare(home: Path, data: Path) -> None:
    for folder in (home / "etc", home / "var" / "log", home / "var" / "cache"):
        folder.mkdir(parents=True, exist_ok=True)
    # The data folder holds people's papers: only the Zope user may enter it.
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o700)
    (data / "blobstorage").mkdir(mode=0o700, exist_ok=True)


def write_instance(
    home,
    data=None,
    host="127.0.0.1",
    port=8080,
    threads=4,
    zeo_address=None,
    zcml_packages=(),
    relstorage_dsn=None,
    clock_interval=0,
    now_file=None,
    public_url=None,
):
    """Write ``etc/zope.conf``, ``etc/zope.ini`` and ``etc/site.zcml`` under ``home``.

    With ``zeo_address`` the instance is a ZEO client, with ``relstorage_dsn`` (a
    libpq DSN) a RelStorage client of PostgreSQL; otherwise it opens the
    FileStorage in ``data`` itself.  ``zcml_packages`` are extra packages whose
    ``configure.zcml`` the instance loads.  ``clock_interval`` (seconds, 0: none),
    ``now_file`` and ``public_url`` (default: the address the server listens on) go
    to ``zope.conf``'s environment (:func:`clock_environment`);
    the command ``init`` asks for 60 seconds, callers of this function (tests,
    benchmarks) for a clock explicitly.  Returns the path of ``zope.ini``.
    """
    home = Path(home).resolve()
    data = Path(data).resolve() if data else home / "var" / "filestorage"
    _prepare(home, data)
    if relstorage_dsn:
        storage, imports = RELSTORAGE.format(dsn=relstorage_dsn), "%import relstorage\n"
        (home / "var" / "blobcache").mkdir(mode=0o700, exist_ok=True)
    elif zeo_address:
        storage, imports = ZEOCLIENT.format(address=zeo_address), "%import ccas.vault.zeoclient\n"
    else:
        storage, imports = FILESTORAGE, ""
    etc = home / "etc"
    (etc / "zope.conf").write_text(
        ZOPE_CONF.format(
            home=home,
            data=data,
            imports=imports,
            storage=storage,
            clock=clock_environment(
                clock_interval, now_file, public_url or default_public_url(host, port)
            ),
        )
    )
    (etc / "zope.ini").write_text(ZOPE_INI.format(home=home, host=host, port=port, threads=threads))
    includes = "".join(f'  <include package="{name}" />\n' for name in zcml_packages)
    (etc / "site.zcml").write_text(SITE_ZCML.format(prelude=SITE_ZCML_PRELUDE, includes=includes))
    return etc / "zope.ini"


def clock_environment(clock_interval=60, now_file=None, public_url=None):
    """The ``<environment>`` lines of the clock (decision 0032): the interval of the
    in-process clock, when given the now-file (an absolute path) and the address people
    reach the server at (the links of the mails the clock sends: :mod:`ccas.vault.public_url`)."""
    interval = max(0, int(clock_interval))
    lines = f"  CCAS_VAULT_CLOCK_INTERVAL {interval}\n"
    if now_file:
        path = str(Path(now_file).resolve()).replace("$", "$$")  # ZConfig's substitutions
        lines += f"  CCAS_VAULT_NOW_FILE {path}\n"
    if public_url:
        lines += f"  CCAS_VAULT_PUBLIC_URL {public_url.replace('$', '$$')}\n"
    return lines


def write_zeo(home, address, data=None):
    """Write ``etc/zeo.conf`` for ``runzeo -C``; returns its path."""
    home = Path(home).resolve()
    data = Path(data).resolve() if data else home / "var" / "filestorage"
    _prepare(home, data)
    conf = home / "etc" / "zeo.conf"
    conf.write_text(ZEO_CONF.format(home=home, data=data, address=address))
    return conf


@contextmanager
def opened_app(zope_conf, abort=False):
    """The Zope root of ``zope_conf`` as system user; its database is closed afterwards.

    With ``abort``, whatever the block changed is dropped (read-only commands).
    """
    app = _open_app(zope_conf)
    try:
        yield app
    finally:
        if abort:
            import transaction

            transaction.abort()
        app._p_jar.db().close()


def _open_app(zope_conf):
    """Configure Zope from ``zope_conf`` and return the root application, as system user."""
    from AccessControl.SecurityManagement import newSecurityManager
    from AccessControl.users import system
    from Testing.makerequest import makerequest
    from zope.globalrequest import setRequest
    from Zope2.Startup.run import make_wsgi_app
    import Zope2

    make_wsgi_app({}, str(zope_conf))
    app = makerequest(Zope2.app(), environ=request_environ())  # links: the public address
    app.REQUEST["PARENTS"] = [app]
    setRequest(app.REQUEST)
    newSecurityManager(None, system)
    return app


def create_site(home, site_id=SITE_ID, demo=False, admin_password=None, smtp_port=None):
    """Create the Zope manager and the Plone site if they are missing.

    With ``smtp_port``, the site's mails go to the demo's mailbox on that port
    (:mod:`ccas.vault.scripts.mailbox`).

    Returns ``True`` when the site was created by this call.
    """
    from ccas.vault.encryption import startup
    from zope.component.hooks import setSite
    import transaction

    with startup.deferred():  # the install below makes the master key
        app = _open_app(Path(home).resolve() / "etc" / "zope.conf")
    try:
        admin_password = admin_password or os.environ.get("ADMIN_PASSWORD") or "admin"
        if app.acl_users.getUserById("admin") is None:
            app.acl_users._doAddUser("admin", admin_password, ["Manager"], [])
        created = site_id not in app.objectIds()
        if created:
            from Products.CMFPlone.factory import addPloneSite

            site = addPloneSite(
                app,
                site_id,
                title=SITE_TITLE,
                profile_id="Products.CMFPlone:plone",
                extension_ids=(*CLASSIC_UI_PROFILES, "ccas.vault:default"),
                default_language="fr",
                portal_timezone="Europe/Paris",
            )
            site.portal_registry["plone.available_languages"] = ["fr", "en"]
        else:  # an existing site: its pending upgrade steps run first, and say so
            _report_upgrade(app[site_id])
        transaction.commit()
        if demo:
            site = app[site_id]
            setSite(site)
            site.portal_setup.runAllImportStepsFromProfile("profile-ccas.vault:demo")
            transaction.commit()
        if smtp_port:
            from ccas.vault.scripts.mailbox import configure_smtp

            configure_smtp(app[site_id], smtp_port)
            transaction.commit()
        setSite(app[site_id])  # the site's key_directory setting, if any
        startup.check_master_key()
        return created
    except BaseException:
        transaction.abort()
        raise
    finally:
        setSite(None)
        app._p_jar.db().close()


def _report_upgrade(site):
    """Run ``site``'s pending upgrade steps, saying from which version to which."""
    from ccas.vault.upgrades.runner import upgrade

    done = upgrade(site)
    if done:
        print(f"ccas.vault upgraded: {done[0]} → {done[1]}.")
    return done


def upgrade_site(home, site_id=SITE_ID):
    """``ccas-vault-instance upgrade``: run the pending upgrade steps of an existing site."""
    from ccas.vault.encryption import startup
    from ccas.vault.upgrades.runner import UpgradeIncomplete
    from zope.component.hooks import setSite
    import transaction

    print("Back up first (make backup): the upgrade steps change the database.")
    with startup.deferred():  # an old site's upgrade makes the master key
        app = _open_app(Path(home).resolve() / "etc" / "zope.conf")
    try:
        if site_id not in app.objectIds():
            print(f"No site '{site_id}' in this database.", file=sys.stderr)
            return 1
        if not _report_upgrade(app[site_id]):
            print("ccas.vault is up to date: no upgrade step to run.")
        transaction.commit()
        return 0
    except UpgradeIncomplete as error:
        transaction.abort()
        print(f"Upgrade failed, nothing saved: {error}", file=sys.stderr)
        return 1
    except BaseException:
        transaction.abort()
        raise
    finally:
        setSite(None)
        app._p_jar.db().close()


def demo_accounts_text(url):
    from ccas.vault.setuphandlers import demo

    lines = [
        f"Site: {url}",
        f"Zope manager: admin / {os.environ.get('ADMIN_PASSWORD') or 'admin'} (technical only)",
        f"Demo accounts (password: {demo.demo_password()}):",
    ]
    lines += [
        f"  {login:<15} {fullname:<15} {purpose}"
        for login, (fullname, _email, _groups, purpose) in demo.ACCOUNTS.items()
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ccas-vault-instance", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="write a Zope instance (embedded ZODB or ZEO client)")
    init.add_argument("home")
    init.add_argument("--data", help="folder of Data.fs and blobstorage")
    init.add_argument("--host", default="127.0.0.1")
    init.add_argument("--port", type=int, default=8080)
    init.add_argument("--threads", type=int, default=4)
    init.add_argument("--zeo-address", help="HOST:PORT of a ZEO server (makes a ZEO client)")
    init.add_argument("--relstorage-dsn", help="libpq DSN: a RelStorage client of PostgreSQL")
    init.add_argument("--zcml", action="append", default=[], help="extra package to load")
    init.add_argument(
        "--clock-interval",
        type=int,
        default=60,
        metavar="SECONDS",
        help="seconds between two runs of the clock jobs in the server (default 60; 0: none, "
        "e.g. every ZEO client but one, or when cron runs ccas-vault-clock)",
    )
    init.add_argument(
        "--public-url",
        metavar="URL",
        help="scheme://host[:port] people reach the server at, for the links of the mails "
        "the clock sends (default: the address the server listens on)",
    )
    init.add_argument(
        "--now-file",
        metavar="PATH",
        help="file setting the site's clock (an ISO date-time; time passes from it): "
        "demonstrations and training only",
    )
    init.add_argument(
        "--sms-outbox",
        metavar="DIR",
        help="keep each text message in DIR (the demo's mailbox) instead of the log: "
        "demonstrations and training only",
    )

    zeo = sub.add_parser("zeo", help="write a ZEO server configuration")
    zeo.add_argument("home")
    zeo.add_argument("--data", help="folder of Data.fs and blobstorage")
    zeo.add_argument("--address", required=True)

    site = sub.add_parser("site", help="create the manager account and the Plone site")
    site.add_argument("home")
    site.add_argument("--site-id", default=SITE_ID)
    site.add_argument("--demo", action="store_true", help="install the demo profile")
    site.add_argument("--url", default="http://localhost:8080", help="printed with the accounts")
    site.add_argument("--smtp-port", type=int, help="send the mails to the mailbox on this port")

    upgrade = sub.add_parser("upgrade", help="run the pending upgrade steps (back up first)")
    upgrade.add_argument("home")
    upgrade.add_argument("--site-id", default=SITE_ID)

    mailbox = sub.add_parser("mailbox", help="the demo's mail catcher: messages kept in DIR")
    mailbox.add_argument("home", metavar="DIR")
    mailbox.add_argument("--host", default="127.0.0.1")
    mailbox.add_argument("--port", type=int, default=8025)

    args = parser.parse_args(argv)
    if args.command == "init":
        path = write_instance(
            args.home,
            data=args.data,
            host=args.host,
            port=args.port,
            threads=args.threads,
            zeo_address=args.zeo_address,
            zcml_packages=args.zcml,
            relstorage_dsn=args.relstorage_dsn,
            clock_interval=args.clock_interval,
            now_file=args.now_file,
            public_url=args.public_url,
        )
        if args.sms_outbox:
            from ccas.vault.scripts.mailbox import add_sms_outbox

            add_sms_outbox(path.parent / "zope.conf", args.sms_outbox)
        print(path)
    elif args.command == "mailbox":
        from ccas.vault.scripts.mailbox import serve

        return serve(args.home, host=args.host, port=args.port)
    elif args.command == "upgrade":
        return upgrade_site(args.home, site_id=args.site_id)
    elif args.command == "zeo":
        print(write_zeo(args.home, args.address, data=args.data))
    else:
        created = create_site(
            args.home, site_id=args.site_id, demo=args.demo, smtp_port=args.smtp_port
        )
        print(f"Site '{args.site_id}' {'created' if created else 'already there'}.")
        if args.demo:
            print(demo_accounts_text(f"{args.url}/{args.site_id}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
