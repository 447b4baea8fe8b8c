"""A measuring WSGI filter for ``bench/bench_load.py`` (never part of a shipped instance).

The benchmark adds it to the generated ``zope.ini`` just before ``zope`` (``use =
call:cpu_filter:filter_factory``); ``zope.conf`` and ``site.zcml`` stay as
``ccas-vault-instance init`` wrote them.  It answers, in the ``X-Bench-CPU-Us``
header, the CPU time (microseconds) the waitress thread spent publishing the
request: traversal, rendering, the commit, and every replay after a ConflictError
(Zope's publisher retries inside the call, before ``start_response``).  What other
threads spend (ZEO's I/O thread, the clock) is not in it: the benchmark reports it
as the process's CPU minus the requests' sum.
"""

import time


HEADER = "X-Bench-CPU-Us"


def filter_factory(global_conf, **local_conf):
    def wrap(app):
        def measured(environ, start_response):
            began = time.thread_time()

            def start(status, headers, exc_info=None):
                spent = int((time.thread_time() - began) * 1_000_000)
                headers = [*headers, (HEADER, str(spent))]
                if exc_info is None:
                    return start_response(status, headers)
                return start_response(status, headers, exc_info)

            return app(environ, start)

        return measured

    return wrap
