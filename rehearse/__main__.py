"""``python -m rehearse`` runs the command line."""

import sys

from rehearse.cli import main

sys.exit(main())
