"""Print the service's OpenAPI schema (the snapshot the dashboard's typed client is generated from).

Usage: python dashboard/scripts/export_openapi.py > dashboard/openapi.json   (from the repository root)
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "service"))

from app.main import app

print(json.dumps(app.openapi(), indent=2, sort_keys=True))
