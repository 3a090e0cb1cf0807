"""Re-run documentation notebooks and store their outputs (the references nbval checks in `make test`).

    python tools/refresh_outputs.py [NOTEBOOK ...]    # default: every docs notebook (nbs/*.ipynb)

Run it through `make outputs`, which starts the real test servers first.
"""

import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NBS = Path(__file__).resolve().parent.parent / "nbs"


def docs_notebooks() -> list[Path]:
    """The notebooks whose outputs are documentation: every top-level notebook, benchmarks excluded."""
    return sorted(p for p in NBS.glob("*.ipynb") if not p.name.startswith("_"))


def refresh(path: Path) -> None:
    """Execute `path` top to bottom in its folder and write it back, cleaned."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)
    subprocess.run(["nbdev_clean", "--fname", str(path)], check=True)
    print(f"refreshed {path.relative_to(NBS.parent)}")


if __name__ == "__main__":
    for nb_path in [Path(a).resolve() for a in sys.argv[1:]] or docs_notebooks():
        refresh(nb_path)
