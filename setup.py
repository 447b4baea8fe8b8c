"""Packaging of ccas.vault.

The GenericSetup profiles live in the top-level ``profiles/`` folder (the
design card puts them there).  They are shipped inside the wheel as the data
package ``ccas.vault.profiles``; ``ccas.vault.profiles_dir`` finds them in
either place.
"""

from pathlib import Path
from setuptools import find_namespace_packages
from setuptools import setup


HERE = Path(__file__).parent
PROFILES = HERE / "profiles"
PROFILE_PACKAGES = sorted(
    ".".join(("ccas.vault.profiles", *path.relative_to(PROFILES).parts))
    for path in [PROFILES, *PROFILES.rglob("*")]
    if path.is_dir()
)

setup(
    name="ccas.vault",
    version="1.0.0a2.dev0",
    description="Coffre-fort numérique for the beneficiaries of a CCAS, on Plone",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    classifiers=[
        "Environment :: Web Environment",
        "Framework :: Plone",
        "Framework :: Plone :: 6.2",
        "Framework :: Plone :: Addon",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Natural Language :: French",
    ],
    author="ccas.vault developers",
    license="GPL-2.0-or-later",
    python_requires=">=3.11",
    package_dir={"": "src", "ccas.vault.profiles": "profiles"},
    packages=find_namespace_packages(where="src", include=["ccas.*"]) + PROFILE_PACKAGES,
    include_package_data=True,
    package_data={
        "": [
            *("*.zcml", "*.pt", "*.po", "*.pot", "*.mo", "*.css", "*.svg", "*.png", "*.txt"),
            "*.yaml",
        ],
        **{name: ["*.xml", "*.txt", "*.cfg", "*.json"] for name in PROFILE_PACKAGES},
    },
    zip_safe=False,
    install_requires=[
        "Products.CMFPlone>=6.2",
        "plone.api",
        "plone.app.dexterity",
        "plone.app.registry",
        "plone.restapi",
        "collective.workspace",
        "plonetheme.barceloneta",
        "ZEO",
        "waitress",
        "Unidecode",
        "Pillow",
        "pillow-heif",
        "pypdf",
        "pypdfium2",
        "reportlab",
        "cryptography",
        "pyHanko",
        "pyhanko-certvalidator",
        "PyYAML",  # the OpenAPI document (services/openapi)
        "oic",  # optional login with a public identity (profile ccas.vault:oidc)
    ],
    extras_require={
        # RelStorage on PostgreSQL (decision 0023); the binary psycopg2 needs no libpq-dev.
        "postgresql": ["RelStorage", "psycopg2-binary"],
        "test": [
            "ccas.vault[postgresql]",
            "plone.app.testing",
            "plone.testing",
            "pytest",
            "pytest-plone",
            "pytest-timeout",
            "requests",
            "build",
            "playwright",
            "ruff",
            "aiosmtpd",
            "axe-playwright-python",
            "openapi-spec-validator",
            "sphinx",  # make docs, tests/test_docs.py
            "myst-parser",
            "schemathesis",  # tests/test_fuzz.py
            "locust",  # bench/bench_load.py, tests/test_load_smoke.py (run as a subprocess)
        ],
    },
    entry_points={
        "z3c.autoinclude.plugin": ["target = plone"],
        "console_scripts": [
            "ccas-vault-instance = ccas.vault.scripts.instance:main",
            "ccas-vault-history-verify = ccas.vault.history.verify:main",
            "ccas-vault-clock = ccas.vault.clock:main",
            "ccas-vault-integrity = ccas.vault.certification.integrity:main",
            "ccas-vault-check = ccas.vault.check:main",
            "ccas-vault-keys = ccas.vault.scripts.keys:main",
            "ccas-vault-ged-import = ccas.vault.scripts.ged_import:main",
            "ccas-vault-partner-import = ccas.vault.scripts.partner_import:main",
            "ccas-vault-sign-queue = ccas.vault.certification.signing_queue:main",
            "ccas-vault-backup = ccas.vault.scripts.backup:main",
            "ccas-vault-postgres = ccas.vault.scripts.postgresql:main",
        ],
    },
)
