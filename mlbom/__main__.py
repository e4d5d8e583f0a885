"""``python -m mlbom``."""

import sys

from mlbom.cli import main

sys.exit(main())
