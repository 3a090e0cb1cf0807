"""Execute benchmark notebooks with papermill and print a summary table.

    python tools/run_benchmarks.py nbs/benchmarks/NAME.ipynb ...

Each notebook takes two papermill parameters, `size` ("small" by default, "full" for the nightly run;
from $BENCH_SIZE) and `results_path`, and writes `{"benchmark": ..., "figures": {metric: value}}` there.
This runner adds where and what ran (git SHA, machine, CPU/GPU, versions) and keeps the executed
notebook next to the JSON in bench-results/.
"""

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import papermill

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-results"


def run_metadata() -> dict:
    """Git SHA, time, machine and library versions of this run."""
    import torch

    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    return {
        "git_sha": sha.strip() or "unknown",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "node": platform.node(),
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        },
        "versions": {p: version(p) for p in ("agent_lib", "torch", "redis", "google-cloud-firestore", "usearch")},
    }


def run(notebook: Path, size: str) -> dict:
    """Execute one notebook and return its enriched result."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    results_path = OUT / f"{notebook.stem}-{stamp}.json"
    papermill.execute_notebook(
        str(notebook),
        str(OUT / f"{notebook.stem}-{stamp}.ipynb"),
        parameters={"size": size, "results_path": str(results_path)},
        cwd=str(notebook.parent),
        progress_bar=False,
    )
    result = {**json.loads(results_path.read_text()), "size": size, **run_metadata()}
    results_path.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    size = os.environ.get("BENCH_SIZE", "small")
    results = [run(Path(nb), size) for nb in sys.argv[1:]]
    print(f"\n{'benchmark':<28} {'metric':<44} value")
    for r in results:
        for metric, value in r["figures"].items():
            print(
                f"{r['benchmark']:<28} {metric:<44} {value:.4g}"
                if isinstance(value, float)
                else f"{r['benchmark']:<28} {metric:<44} {value}"
            )
    print(f"\nresults in {OUT.relative_to(ROOT)}/ (git {results[0]['git_sha'] if results else '-'})")
