"""A ZEO client storage whose new oids stay unique across a restart of the ZEO server.

ZEO's :class:`ZEO.ClientStorage.ClientStorage` fetches new object ids from the
server 100 at a time and keeps them in a pool (``_oids``).  A FileStorage
server that is killed and restarted counts again from the highest oid it has
*committed*: the oids it had handed out but nobody had committed yet are handed
out a second time.  Stock ZEO then gives one oid to two objects — the stale pool
is kept across the disconnection, and a transaction open across the restart
already holds oids the restarted server gives again.  Two new objects of one
transaction sharing an oid are stored as one: the database is silently
corrupted (decision 0039).

:class:`ClientStorage` hands out strictly increasing oids (an oid the server
gives again is skipped) and drops its pool when the connection is lost.
``zope.conf`` uses it through its own section (``ccas-vault-instance init
--zeo-address`` writes it)::

    %import ccas.vault.zeoclient
    <zodb_db main>
      <ccasclientstorage>
        server 127.0.0.1:8100
        ...                       (every key of ZEO's <clientstorage>)
      </ccasclientstorage>
    </zodb_db>
"""

from ZODB.POSException import ReadOnlyError
from ZODB.utils import u64
from ZODB.utils import z64
import logging
import threading
import ZEO.ClientStorage
import ZEO.zconfig


logger = logging.getLogger(__name__)


class ClientStorage(ZEO.ClientStorage.ClientStorage):
    """ZEO's client storage; never hands out the same oid twice, even when the
    server was restarted after a crash (decision 0039)."""

    def __init__(self, *args, **kwargs):
        # Set before ZEO's constructor: it may connect (notify_connected) at once.
        self._last_oid = z64
        self._new_oid_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def new_oid(self):
        """Storage API: a new object id, greater than every one handed out before."""
        if self._is_read_only:
            raise ReadOnlyError()
        with self._new_oid_lock:
            skipped = 0
            while True:
                if not self._oids:
                    self._oids[:0] = reversed(self._call("new_oids"))
                    continue
                oid = self._oids.pop()
                if oid > self._last_oid:  # 8-byte big-endian: bytes order is numeric order
                    break
                skipped += 1
            if skipped:
                logger.warning(
                    "%s: the ZEO server handed out again %d oid(s) already given "
                    "(restarted after a crash?); skipped up to %d",
                    self.__name__,
                    skipped,
                    u64(self._last_oid),
                )
            self._last_oid = oid
            return oid

    def notify_disconnected(self):
        # The server may be gone for good: the oids it reserved for us may be given
        # to another client after its restart.  (No lock here: this runs in the
        # I/O thread, which a thread waiting in new_oid needs.)
        self._oids = []
        super().notify_disconnected()


class ClientStorageConfig(ZEO.zconfig.ClientStorageConfig):
    """ZConfig datatype of ``<ccasclientstorage>``: ZEO's ``<clientstorage>``
    opening :class:`ClientStorage`."""

    def open(self):
        config = self.config
        options = {}
        if config.blob_cache_size is not None:
            options["blob_cache_size"] = config.blob_cache_size
        if config.blob_cache_size_check is not None:
            options["blob_cache_size_check"] = config.blob_cache_size_check
        if config.client_label is not None:
            options["client_label"] = config.client_label
        if config.ssl:
            options["ssl"], options["ssl_server_hostname"] = config.ssl[0], config.ssl[1]
        return ClientStorage(
            [server.address for server in config.server],
            blob_dir=config.blob_dir,
            shared_blob_dir=config.shared_blob_dir,
            storage=config.storage,
            cache_size=config.cache_size,
            cache=config.cache_path,
            name=config.name,
            read_only=config.read_only,
            read_only_fallback=config.read_only_fallback,
            server_sync=config.server_sync,
            wait_timeout=config.wait_timeout,
            **options,
        )
