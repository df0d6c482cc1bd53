"""The scripts of infra/postgres are run as files, not installed: import them from there."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
