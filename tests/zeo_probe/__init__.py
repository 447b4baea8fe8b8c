"""Test-only probe loaded by the Zope processes of ``tests/test_zeo.py``.

It is put on ``PYTHONPATH`` and included through ``site.zcml``
(``zcml_packages=["zeo_probe"]``); it is never installed nor loaded by the add-on.
"""
