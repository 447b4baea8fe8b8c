"""Run every benchmark of bench/ (files named bench_*.py) and print their figures.

Each benchmark module exposes ``main() -> int``; it prints its own figures
and the ratio against a baseline measured in the same run.

``python bench/run.py ged_letters my_vaults`` runs only the benchmarks named
(``bench_`` prefix optional); ``make bench BENCH=ged_letters`` does the same.
"""

from pathlib import Path
import importlib.util
import sys


def main(argv=None):
    here = Path(__file__).parent
    modules = sorted(here.glob("bench_*.py"))
    names = [name.removeprefix("bench_").removesuffix(".py") for name in (argv or [])]
    if names:
        unknown = sorted(set(names) - {path.stem.removeprefix("bench_") for path in modules})
        if unknown:
            print(f"No such benchmark: {', '.join(unknown)}")
            return 2
        modules = [path for path in modules if path.stem.removeprefix("bench_") in names]
    if not modules:
        print("No benchmark yet: bench/ holds none (bench_*.py).")
        return 0
    failures = 0
    for path in modules:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {path.stem}")
        failures += 1 if module.main() else 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
