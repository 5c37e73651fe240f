"""``python -m dispatchopt``: the same command line as the ``dispatchopt`` script."""

import sys

from .cli.main import main

if __name__ == "__main__":
    sys.exit(main())
