"""``spotcheck-archives verify FILE``: check an exported dossier offline (standard library only).

The whole check lives in :mod:`archives.domain.chain`, which imports nothing outside the
standard library; that one file also runs alone (``python chain.py verify FILE``).
"""

from __future__ import annotations

import sys

from archives.domain.chain import main

if __name__ == "__main__":
    sys.exit(main())

__all__ = ["main"]
