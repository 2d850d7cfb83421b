import sys

from swe_corpus.cli import main

sys.exit(main())
