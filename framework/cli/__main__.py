"""`python -m framework.cli`: the same as the `framework` console script."""

from __future__ import annotations

import sys

from framework.cli import main

__all__: list[str] = []

sys.exit(main())
