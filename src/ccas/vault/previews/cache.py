"""A paper's watermarked preview is computed once, then served from memory (decision 0053).

Under the counter's morning load, rendering previews was two thirds of the Zope
clients' CPU (py-spy): every ``@@preview`` decrypted the file, drew its first page,
rotated a page-sized watermark layer and encoded a PNG (150-350 ms of CPU), for
the same paper again and again (the person, then each agent following the vault).

The preview is a pure function of the paper's bytes, its type, its title and the
watermark's text, so it is remembered under those: the bytes by their SHA-256
(``document.sha256``, taken when the paper was stored; a paper's bytes never
change, a new version is a new paper).  Only the process's memory holds it, never
the database or a disk (the papers are encrypted at rest; a preview is as personal
as the paper).  The memory is bounded (:data:`MAX_BYTES`, least recently used
first out) and an entry lives at most :data:`LIFETIME` seconds, so that a deleted
vault's previews leave memory soon.  Permission is checked and the preview traced
in the history by the caller, each time, before asking here.
"""

from collections import OrderedDict
import threading
import time


#: memory kept for previews in one Zope process
MAX_BYTES = 48 * 1024 * 1024
#: seconds a preview stays remembered after it was computed
LIFETIME = 15 * 60


class PreviewCache:
    """Bytes computed once per key, least recently used first out, bounded in size and age."""

    def __init__(self, max_bytes=MAX_BYTES, lifetime=LIFETIME, clock=time.monotonic):
        self.max_bytes = max_bytes
        self.lifetime = lifetime
        self.clock = clock
        self.computed = 0  # how many times a value was computed (the tests read it)
        self._entries = OrderedDict()  # key -> (deadline, bytes)
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key, compute):
        """The bytes remembered under ``key``, else ``compute()`` (remembered when it fits).

        ``key`` ``None`` means "do not remember": computed each time.
        """
        if key is not None:
            with self._lock:
                found = self._entries.get(key)
                if found is not None and found[0] > self.clock():
                    self._entries.move_to_end(key)
                    return found[1]
                if found is not None:
                    self._drop(key)
        value = compute()
        self.computed += 1
        if key is not None and len(value) <= self.max_bytes:
            with self._lock:
                if key in self._entries:
                    self._drop(key)
                self._entries[key] = (self.clock() + self.lifetime, value)
                self._size += len(value)
                while self._size > self.max_bytes:
                    self._drop(next(iter(self._entries)))
        return value

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._size = 0

    def __len__(self):
        return len(self._entries)

    def _drop(self, key):
        _deadline, value = self._entries.pop(key)
        self._size -= len(value)


#: the process's previews
previews = PreviewCache()


def preview_key(document, content_type, title, watermark):
    """What a paper's preview depends on, or ``None`` when the paper's bytes have no
    recorded hash (then it is computed each time)."""
    digest = getattr(document, "sha256", None)
    if not digest:
        return None
    return ("preview", digest, content_type, title, watermark)
