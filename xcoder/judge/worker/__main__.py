"""Entry point of the judge worker: the sandbox runs ``python -E -s <path of this file>``.

Run by path, never as ``xcoder.judge.worker``: that would import the host's packages (``xcoder``,
``xcoder.judge``) into the process every judged program is forked from, and the sandbox exposes
only this directory. So this file imports its own directory as a package under a private name,
without putting any parent directory on ``sys.path``.
"""

import importlib.util
import os
import sys

PACKAGE = "xcoder_judge_worker"


def _load_package() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        PACKAGE, os.path.join(here, "__init__.py"), submodule_search_locations=[here]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    spec.loader.exec_module(package)


if __name__ == "__main__":
    _load_package()
    importlib.import_module(PACKAGE + ".zygote").main(sys.argv[1:])
